"""Stage 250: the dedup signature (text hash and MinHash) of each article, in a worker.

Signing is the costly part of a duplicate check and a pure function of the text, so it runs
in the extraction workers; the store stage (400) then only looks the signature up, on the
reactor thread, in the same transaction that adds it: two copies in one crawl are still
folded. In a crawl the extraction stage has the worker sign the text in the same trip
(``extract_and_pack``); this stage signs what comes without a signature, and puts every item
back in fetch order.
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
    """Fills ``text_hash``, ``minhash`` and ``band_keys`` in the crawl's extraction pool
    (``state``'s), with the state's dedup parameters; items leave this stage in fetch order
    (``state.order``, see ordering.py)."""

    def __init__(self, state: CrawlState) -> None:
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawl_state(crawler, "SignaturePipeline"))

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        if item.text_hash is None:
            threshold, num_perm, shingle_words = self.state.dedup_params
            fut = self.state.get_pool().submit_call(
                sign_text, item.text, num_perm, shingle_words, threshold
            )
            text_hash, minhash, band_keys = await asyncio.wrap_future(fut)
            item.text_hash = text_hash
            item.minhash = minhash or None
            item.band_keys = band_keys
        await self.state.order.turn(item)
        return item
