"""Stage 100: extract clean text and metadata in worker processes, off the reactor thread."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Self

from scrapy import Spider
from scrapy.exceptions import DropItem

from crawler import stats as st
from crawler.extraction.errors import ExtractionTimeout
from crawler.extraction.tasks import ModelRef, extract_and_pack
from crawler.items import ArticleItem
from crawler.state import CrawlState, crawl_state
from storage.compress import RAW_GZIP_LEVEL

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.extraction import Extracted

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Runs trafilatura through the crawl's :class:`ExtractionPool` (owned by ``state``), which
    also compresses the raw page, signs the text for the duplicate check (with the state's
    dedup parameters) and, given ``score_with``, scores it with the saved relevance model: the
    signature and score stages then have nothing left to compute. (Before a model is saved,
    pages come back unscored and the score stage has one trained, once.)

    ``process_item`` awaits the pool's future with ``asyncio.wrap_future``, so the reactor
    keeps downloading while every core extracts. Items enter the fetch order here. A page
    whose extraction takes longer than ``extract_timeout`` seconds (None: no limit) has its
    worker stopped and replaced, and counts as failed; the crawl goes on. A page without
    article text is told to ``state.not_stored``.
    """

    def __init__(
        self,
        state: CrawlState,
        stats: st.StatsSink,
        extract_timeout: float | None = None,
        score_with: ModelRef | None = None,
    ) -> None:
        self.state = state
        self.extract_timeout = extract_timeout
        self.score_with = score_with
        self.counter = st.Counter(stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        model_dir = s.get("NEWSMON_MODEL_DIR")
        return cls(
            crawl_state(crawler, "ExtractPipeline"),
            crawler.stats,  # type: ignore[arg-type]
            extract_timeout=s.getfloat("NEWSMON_EXTRACT_TIMEOUT") or None,
            score_with=ModelRef(
                str(model_dir), str(s.get("NEWSMON_SEEDS_DIR")), s.getfloat("NEWSMON_THRESHOLD")
            )
            if model_dir
            else None,
        )

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        self.state.order.enter(item)
        pool = self.state.get_pool()
        try:
            packed = await asyncio.wrap_future(
                pool.submit_call(
                    extract_and_pack,
                    item.body,
                    item.url,
                    item.http_encoding,
                    RAW_GZIP_LEVEL,
                    self.state.dedup_params,
                    self.score_with,
                    item.hint_title,
                    item.source_language,
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
            # Remembered, so that the next crawl does not fetch it again.
            self.state.not_stored(item.url, item.source, "no_text", 200)
            raise DropItem("no article text")
        item.body_gz = packed.body_gz
        self.counter.inc(st.EXTRACT_OK, item.source)
        apply_extracted(item, extracted)
        if packed.signed is not None:
            item.text_hash, minhash, item.band_keys = packed.signed
            item.minhash = minhash or None
        if packed.scored is not None:
            scored = packed.scored
            item.relevance_score, item.relevant = scored.score, scored.relevant
            item.why, item.model_version = scored.why, scored.model_version
        return item


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
