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
from urllib.parse import urlsplit

from scrapy import Spider
from sqlalchemy import Engine

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.state import CrawlState, crawl_state
from crawler.urls import is_http_url, normalize_url
from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory, session_scope
from storage.records import ArticleRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler


def canonical_for(item: ArticleItem) -> str:
    """The normalized canonical URL: the page's own claim (rel=canonical, og:url) unless it is
    unusable or names a site's front page (some sites put that on every article)."""
    claimed = item.canonical_url
    if claimed and is_http_url(claimed) and urlsplit(claimed).path.strip("/"):
        return normalize_url(claimed)
    return normalize_url(item.url)


def signed_of(item: ArticleItem) -> tuple[str, bytes] | None:
    """``(text_hash, minhash)`` when stage 250 signed the text in a worker, else None (the
    check then signs it: tests and scripts that skip that stage)."""
    if item.text_hash is None:
        return None
    return item.text_hash, item.minhash or b""


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
    """Checks each item against the stored archive and stores it, in its own transaction.

    The duplicate index is the crawl's (``state.index``); without a ``state`` the stage
    makes its own, with the archive's default parameters (tests, scripts).
    """

    def __init__(
        self,
        database_url: str,
        run_id: int | None,
        stats: st.StatsSink,
        state: CrawlState | None = None,
    ) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.counter = st.Counter(stats)
        self.state = state if state is not None else CrawlState()
        self._engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        run_id = s.get("NEWSMON_RUN_ID")
        return cls(
            s.get("NEWSMON_DATABASE_URL"),
            int(run_id) if run_id is not None else None,
            crawler.stats,  # type: ignore[arg-type]
            crawl_state(crawler, "StorePipeline"),
        )

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

        index = self.state.index
        canonical = canonical_for(item)
        with session_scope(self._sessions) as session:
            lock_archive(session)
            signed = signed_of(item)
            bands = item.band_keys if signed is not None else None
            decision = index.check(session, canonical, item.text, signed=signed, band_keys=bands)
            item.canonical_url = canonical
            item.text_hash = decision.text_hash
            item.minhash = decision.minhash or None
            item.duplicate_kind = decision.kind
            item.duplicate_of = decision.duplicate_of
            item.cluster_id = decision.cluster_id
            own = bands if bands is not None else index.band_keys(item.minhash)
            rec = record_for(item, self.run_id, own)
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
