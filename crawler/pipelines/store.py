"""Stage 300: is this article a copy, and store it — one write transaction for both.

The duplicate check reads the archive's indexes (``storage/dedup.py``) and the insert writes
the article with its URL keys and band keys. Both run in one transaction that holds the
archive's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two copies
of a story stored at the same moment, by this crawl or by another process, are still folded
into one story; a crash loses at most the article in flight.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Self

from scrapy import Spider
from sqlalchemy import Engine

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.pipelines.dedup import canonical_for, signed_of
from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory, session_scope
from storage.records import ArticleRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler

    from storage.dedup import DedupIndex


def record_for(
    item: ArticleItem, run_id: int | None, band_keys: Sequence[int] = ()
) -> ArticleRecord:
    """The storage record of a fully processed item."""
    assert item.text_hash is not None and item.canonical_url is not None
    return ArticleRecord(
        url=item.url,
        canonical_url=item.canonical_url,
        source=item.source,
        title=item.title,
        author=item.author,
        published_at=item.published_at,
        fetched_at=item.fetched_at or dt.datetime.now(dt.UTC),
        language=item.language,
        site_name=item.site_name,
        text=item.text,
        text_hash=item.text_hash,
        minhash=item.minhash,
        relevance_score=item.relevance_score,
        relevant=item.relevant,
        why=item.why or None,
        model_version=item.model_version,
        duplicate_of=item.duplicate_of,
        duplicate_kind=item.duplicate_kind,
        cluster_id=item.cluster_id,
        crawl_run_id=run_id,
        raw_body=item.body or None,
        content_type=item.content_type,
        encoding=item.http_encoding,
        raw_body_gz=item.body_gz or None,
        band_keys=band_keys,
    )


class StorePipeline:
    """Checks each item against the stored archive and stores it, in its own transaction."""

    def __init__(
        self,
        database_url: str,
        run_id: int | None,
        stats: st.StatsSink,
        near_threshold: float | None = None,
        num_perm: int | None = None,
        shingle_words: int | None = None,
    ) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.counter = st.Counter(stats)
        self._dedup_params = (near_threshold, num_perm, shingle_words)
        self._index: DedupIndex | None = None
        self._engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        run_id = s.get("NEWSMON_RUN_ID")
        return cls(
            s.get("NEWSMON_DATABASE_URL"),
            int(run_id) if run_id is not None else None,
            crawler.stats,  # type: ignore[arg-type]
            near_threshold=s.getfloat("NEWSMON_NEAR_THRESHOLD") or None,
            num_perm=s.getint("NEWSMON_NUM_PERM") or None,
            shingle_words=s.getint("NEWSMON_SHINGLE_WORDS") or None,
        )

    @property
    def index(self) -> DedupIndex:
        """The duplicate checks (made on first use: numpy is not needed by a crawl that
        finds nothing new)."""
        if self._index is None:
            from storage.dedup import DedupIndex
            from storage.dedup_defaults import (
                DEFAULT_NEAR_THRESHOLD,
                DEFAULT_NUM_PERM,
                DEFAULT_SHINGLE_WORDS,
            )

            threshold, num_perm, shingle_words = self._dedup_params
            self._index = DedupIndex(
                threshold or DEFAULT_NEAR_THRESHOLD,
                num_perm or DEFAULT_NUM_PERM,
                shingle_words or DEFAULT_SHINGLE_WORDS,
            )
        return self._index

    def open_spider(self, spider: Spider) -> None:
        self._engine = make_engine(self.database_url)
        self._sessions = make_session_factory(self._engine, write=True)

    def close_spider(self, spider: Spider) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        if self._engine is None:
            self.open_spider(spider)
        from storage.dedup import lock_archive

        index = self.index
        canonical = canonical_for(item)
        with session_scope(self._sessions) as session:
            lock_archive(session)
            decision = index.check(session, canonical, item.text, signed=signed_of(item))
            item.canonical_url = canonical
            item.text_hash = decision.text_hash
            item.minhash = decision.minhash or None
            item.duplicate_kind = decision.kind
            item.duplicate_of = decision.duplicate_of
            item.cluster_id = decision.cluster_id
            rec = record_for(item, self.run_id, index.band_keys(item.minhash))
            article_id, inserted = insert_article(session, rec)
        self.counter.inc(st.dedup_key(decision.kind), item.source)
        item.id = article_id
        item.body = item.body_gz = b""  # the raw page is stored; do not keep it in memory
        if not inserted:
            self.counter.inc(st.STORED_EXISTING, item.source)
            return item
        item.cluster_id = item.cluster_id if item.cluster_id is not None else article_id
        self.counter.inc(st.STORED_NEW, item.source)
        if item.relevant:
            self.counter.inc(st.STORED_RELEVANT, item.source)
        return item
