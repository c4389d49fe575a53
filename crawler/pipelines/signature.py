"""Stage 250: the dedup signature (text hash and MinHash) of each article, in a worker.

Signing is the costly part of a duplicate check and a pure function of the text, so it runs
in the extraction workers; the dedup stage (300) then only looks the signature up, on the
reactor thread, in the same synchronous step as the store stage (400) that adds it: two
copies in one crawl are still folded.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

from scrapy import Spider

from crawler.extraction.tasks import sign_text
from crawler.items import ArticleItem
from crawler.pipelines.ordering import FetchOrder
from storage.dedup_defaults import DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.extraction import ExtractionPool


class SignaturePipeline:
    """Fills ``text_hash`` and ``minhash``; ``pool`` and ``order`` default to the extraction
    stage's. With an ``order``, items leave this stage in fetch order (see ordering.py)."""

    def __init__(
        self,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle_words: int = DEFAULT_SHINGLE_WORDS,
        pool: ExtractionPool | None = None,
        order: FetchOrder | None = None,
    ) -> None:
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self.pool = pool
        self.order = order
        self._crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        pipe = cls(
            s.getint("NEWSMON_NUM_PERM", DEFAULT_NUM_PERM),
            s.getint("NEWSMON_SHINGLE_WORDS", DEFAULT_SHINGLE_WORDS),
        )
        pipe._crawler = crawler
        return pipe

    def _pool(self) -> ExtractionPool:
        if self.pool is None:
            from crawler.pipelines.extract import extraction_stage

            extract = extraction_stage(self._crawler, "SignaturePipeline")
            self.pool = extract.get_pool()
            self.order = self.order or extract.order
        return self.pool

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        fut = self._pool().submit_call(sign_text, item.text, self.num_perm, self.shingle_words)
        text_hash, minhash = await asyncio.wrap_future(fut)
        item.text_hash = text_hash
        item.minhash = minhash or None
        if self.order is not None:
            await self.order.turn(item)
        return item
