"""Stage 250: the dedup signature (text hash and MinHash) of each article, in a worker.

Signing is the costly part of a duplicate check and a pure function of the text, so it runs
in the extraction workers; the store stage (400) then only looks the signature up, on the
reactor thread, in the same transaction that adds it: two copies in one crawl are still
folded.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

from scrapy import Spider

from crawler.extraction.tasks import sign_text
from crawler.items import ArticleItem
from crawler.state import CrawlState, crawl_state

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class SignaturePipeline:
    """Fills ``text_hash`` and ``minhash`` in the crawl's extraction pool (``state``'s); items
    leave this stage in fetch order (``state.order``, see ordering.py)."""

    def __init__(self, state: CrawlState, num_perm: int = 128, shingle_words: int = 5) -> None:
        self.state = state
        self.num_perm = num_perm
        self.shingle_words = shingle_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawl_state(crawler, "SignaturePipeline"),
            s.getint("NEWSMON_NUM_PERM", 128),
            s.getint("NEWSMON_SHINGLE_WORDS", 5),
        )

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        pool = self.state.get_pool()
        fut = pool.submit_call(sign_text, item.text, self.num_perm, self.shingle_words)
        text_hash, minhash = await asyncio.wrap_future(fut)
        item.text_hash = text_hash
        item.minhash = minhash or None
        await self.state.order.turn(item)
        return item
