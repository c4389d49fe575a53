"""Stage 100: extract clean text and metadata in worker processes, off the reactor thread."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, Spider, signals
from scrapy.exceptions import DropItem

from crawler import stats as st
from crawler.extraction.errors import ExtractionTimeout
from crawler.extraction.tasks import WORKER_PRELOAD, extract_and_pack
from crawler.items import ArticleItem
from crawler.pipelines.ordering import FetchOrder

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.extraction import Extracted, ExtractionPool

logger = logging.getLogger(__name__)

# Workers are not recycled by default: on Python 3.11 ProcessPoolExecutor's
# max_tasks_per_child does not replace a worker that retires while results are being counted
# (https://github.com/python/cpython/issues/115634), and a crawl then hangs once every worker
# has retired. Measured on the corpus, workers stay near 170 MB RSS (malloc_trim after each
# page), so there is no growth to bound; set NEWSMON_MAX_TASKS_PER_WORKER on Python >= 3.13.
MAX_TASKS_PER_WORKER: int | None = None


class ExtractPipeline:
    """Runs trafilatura through an :class:`ExtractionPool` that also compresses the raw page.

    ``process_item`` awaits the pool's future with ``asyncio.wrap_future``, so the reactor
    keeps downloading while every core extracts. The pool is started lazily, when the first
    article request is scheduled (or the first item arrives): a crawl that finds nothing new
    starts no worker processes. The later stages share it through :meth:`get_pool`. Pass
    ``pool`` to use one the caller owns (and shuts down). A page whose extraction takes longer
    than ``extract_timeout`` seconds (None: no limit) has its worker stopped and replaced, and
    counts as failed; the crawl goes on.
    """

    def __init__(
        self,
        workers: int,
        stats: st.StatsSink,
        pool: ExtractionPool | None = None,
        max_tasks_per_worker: int | None = MAX_TASKS_PER_WORKER,
        extract_timeout: float | None = None,
    ) -> None:
        self.workers = workers
        self.extract_timeout = extract_timeout
        self.counter = st.Counter(stats)
        self.pool = pool
        self.max_tasks_per_worker = max_tasks_per_worker
        self._owns_pool = pool is None
        # Shared with the signature stage, which lets items on in this (fetch) order.
        self.order = FetchOrder()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        pipe = cls(
            s.getint("NEWSMON_EXTRACT_WORKERS"),
            crawler.stats,  # type: ignore[arg-type]
            max_tasks_per_worker=s.getint("NEWSMON_MAX_TASKS_PER_WORKER") or None,
            extract_timeout=s.getfloat("NEWSMON_EXTRACT_TIMEOUT") or None,
        )
        crawler.signals.connect(pipe.request_scheduled, signal=signals.request_scheduled)
        for done in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(pipe.item_done, signal=done)
        return pipe

    def item_done(self, item: ArticleItem, **_: Any) -> None:
        """Stored, dropped or failed: the next item may go to dedup and store."""
        self.order.leave(item)

    def request_scheduled(self, request: Request, spider: Spider, **_: Any) -> None:
        """Start the workers as soon as an article is requested, so that their start-up
        overlaps its download."""
        if self.pool is None and request.meta.get("newsmon_role") == "article":
            self.get_pool()

    def get_pool(self) -> ExtractionPool:
        """The pool, started on first use."""
        if self.pool is None:
            # Imported here: a crawl that requests no article never needs it.
            from crawler.extraction.pool import ExtractionPool

            self.pool = ExtractionPool(
                self.workers,
                max_tasks_per_child=self.max_tasks_per_worker,
                preload=WORKER_PRELOAD,
            )
        return self.pool

    def close_spider(self, spider: Spider) -> None:
        if self._owns_pool and self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        self.order.enter(item)
        pool = self.get_pool()
        try:
            packed = await asyncio.wrap_future(
                pool.submit_call(
                    extract_and_pack,
                    item.body,
                    item.url,
                    item.http_encoding,
                    timeout=self.extract_timeout,
                    label=item.url,
                )
            )
        except ExtractionTimeout as exc:  # its worker was stopped and replaced: go on
            self.counter.inc(st.EXTRACT_FAILED, item.source)
            reason = f"extraction took longer than {self.extract_timeout:g} s"
            self.counter.error(item.source, f"{reason}: {item.url}")
            logger.warning("%s: %s: %s", item.source, reason, item.url)
            raise DropItem(reason) from exc
        except Exception as exc:  # a page that kills its worker twice: count it, go on
            self.counter.inc(st.EXTRACT_FAILED, item.source)
            self.counter.error(item.source, f"extraction failed for {item.url}: {exc!r}")
            logger.warning("%s: extraction failed for %s: %r", item.source, item.url, exc)
            raise DropItem(f"extraction failed: {exc!r}") from exc
        # The page is compressed now; the uncompressed bytes need not stay in memory.
        item.body = b""
        extracted = packed.extracted
        if extracted is None or not extracted.text.strip():
            self.counter.inc(st.EXTRACT_EMPTY, item.source)
            # Not a fault of newsmon's or the site's, often: INFO, so that -q (cron) is silent.
            logger.info("%s: no article text in %s", item.source, item.url)
            # The spider remembers the URL, so that the next crawl does not fetch it again.
            not_stored = getattr(spider, "not_stored", None)
            if not_stored is not None:
                not_stored(item.url, item.source, "no_text", 200)
            raise DropItem("no article text")
        item.body_gz = packed.body_gz
        self.counter.inc(st.EXTRACT_OK, item.source)
        apply_extracted(item, extracted)
        return item


def extraction_stage(crawler: Crawler | None, stage: str) -> ExtractPipeline:
    """The crawl's ExtractPipeline, whose pool the later stages share; ``stage`` names the
    asking stage in the error raised when there is none."""
    extract = crawler.get_item_pipeline(ExtractPipeline) if crawler else None
    if extract is None:
        raise RuntimeError(f"{stage} needs a pool or the ExtractPipeline")
    return extract


def apply_extracted(item: ArticleItem, ex: Extracted) -> None:
    """Copy extraction results into the item; listing hints fill what the page lacks."""
    item.text = ex.text
    item.title = ex.title or item.hint_title
    item.author = ex.author
    item.published_at = ex.published_at or item.hint_published_at
    item.language = ex.language or item.source_language
    item.site_name = ex.site_name
    item.canonical_url = ex.canonical_url
    # From here on the item carries the encoding actually used to decode the page.
    item.http_encoding = ex.encoding
