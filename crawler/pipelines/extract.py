"""Stage 100: extract clean text and metadata in worker processes, off the reactor thread."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Self

from scrapy import Spider
from scrapy.exceptions import DropItem

from crawler import stats as st
from crawler.extraction import Extracted, ExtractionPool
from crawler.items import ArticleItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Runs trafilatura through an :class:`ExtractionPool`.

    ``process_item`` awaits the pool's future with ``asyncio.wrap_future``, so the reactor
    keeps downloading while every core extracts. Pass ``pool`` to share one (the caller then
    shuts it down); otherwise one with ``workers`` processes lives as long as the spider.
    """

    def __init__(self, workers: int, stats: st.StatsSink, pool: ExtractionPool | None = None):
        self.workers = workers
        self.counter = st.Counter(stats)
        self.pool = pool
        self._owns_pool = pool is None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getint("NEWSMON_EXTRACT_WORKERS"), crawler.stats)  # type: ignore[arg-type]

    def open_spider(self, spider: Spider) -> None:
        if self.pool is None:
            self.pool = ExtractionPool(self.workers)
            # Workers start on first use; start them now, while robots.txt and the listings
            # download, rather than when the first article arrives.
            for _ in range(self.pool.workers):
                self.pool.submit(b"", "http://localhost/", None)

    def close_spider(self, spider: Spider) -> None:
        if self._owns_pool and self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        if self.pool is None:
            self.open_spider(spider)
        assert self.pool is not None
        try:
            extracted = await asyncio.wrap_future(
                self.pool.submit(item.body, item.url, item.http_encoding)
            )
        except Exception as exc:  # a page that kills its worker twice: count it, go on
            self.counter.inc(st.EXTRACT_FAILED, item.source)
            self.counter.error(item.source, f"extraction failed for {item.url}: {exc!r}")
            logger.warning("%s: extraction failed for %s: %r", item.source, item.url, exc)
            raise DropItem(f"extraction failed: {exc!r}") from exc
        if extracted is None or not extracted.text.strip():
            self.counter.inc(st.EXTRACT_EMPTY, item.source)
            raise DropItem("no article text")
        self.counter.inc(st.EXTRACT_OK, item.source)
        apply_extracted(item, extracted)
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
