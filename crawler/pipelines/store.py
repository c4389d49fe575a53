"""Stage 400: store the article (idempotent on URL) and add it to the dedup index."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Self

from scrapy import Spider
from sqlalchemy import Engine

from crawler import stats as st
from crawler.items import ArticleItem
from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory, session_scope
from storage.records import ArticleRecord

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.dedup import DedupIndex


def record_for(item: ArticleItem, run_id: int | None) -> ArticleRecord:
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
    )


class StorePipeline:
    """Writes each item in its own short transaction, so a crash loses at most one article.

    ``index`` is the dedup stage's index; with ``from_crawler`` it is taken from the
    :class:`~crawler.pipelines.dedup.DedupPipeline` when the spider opens.
    """

    def __init__(
        self,
        database_url: str,
        run_id: int | None,
        stats: st.StatsSink,
        index: DedupIndex | None = None,
    ) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.counter = st.Counter(stats)
        self.index = index
        self._crawler: Crawler | None = None
        self._engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        run_id = s.get("NEWSMON_RUN_ID")
        pipe = cls(
            s.get("NEWSMON_DATABASE_URL"),
            int(run_id) if run_id is not None else None,
            crawler.stats,  # type: ignore[arg-type]
        )
        pipe._crawler = crawler
        return pipe

    def _dedup_index(self) -> DedupIndex | None:
        if self.index is None and self._crawler is not None:
            from crawler.pipelines.dedup import DedupPipeline

            dedup = self._crawler.get_item_pipeline(DedupPipeline)
            if dedup is not None:
                self.index = dedup.index  # loaded by the dedup stage on its first item
        return self.index

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
        rec = record_for(item, self.run_id)
        with session_scope(self._sessions) as session:
            article_id, inserted = insert_article(session, rec)
        item.id = article_id
        if not inserted:
            self.counter.inc(st.STORED_EXISTING, item.source)
            return item
        cluster_id = item.cluster_id if item.cluster_id is not None else article_id
        item.cluster_id = cluster_id
        self.counter.inc(st.STORED_NEW, item.source)
        if item.relevant:
            self.counter.inc(st.STORED_RELEVANT, item.source)
        index = self._dedup_index()
        if index is not None:
            from storage.dedup import DedupDecision  # numpy: only once articles arrive

            decision = DedupDecision(
                item.duplicate_kind,
                item.duplicate_of,
                item.cluster_id,
                item.text_hash or "",
                item.minhash or b"",
                None,
            )
            index.add(article_id, cluster_id, rec.canonical_url, decision)
        item.body = item.body_gz = b""  # the raw page is stored; do not keep it in memory
        return item
