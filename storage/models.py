"""Typed SQLAlchemy 2.x models. The schema is created by the Alembic migrations in
``storage/migrations``; these classes must stay in step with them (a test compares both).

Tables:
    sources            one row per configured source, with its health
    fetch_state        conditional-GET state (ETag / Last-Modified) per feed or sitemap URL
    articles           clean text, metadata, relevance, hashes and story cluster
    raw_pages          the fetched HTML, compressed; dropped by housekeeping after retention
    crawl_runs         one row per crawl, with its Scrapy stats
    crawl_run_sources  per-source counts and errors for each crawl run
    labels             reviewer labels (relevant / not relevant), who and when
    url_keys           every stored article's normalized URL and canonical URL (unique): the
                       crawler's "stored already?" and the dedup URL check are lookups here
    dedup_bands        MinHash LSH band keys of each stored signature: near-duplicate
                       candidates are an indexed lookup, not an index held in memory
    source_totals      per-source article counters, kept by every write, so that ``stats``
                       never aggregates the archive
    watch_totals       articles matched per watch-list rule (``stats``)
    alerts             immediate alerts, one per story and channel, recorded before sending
    archive_meta       small key/value state (an unfinished backfill's checkpoint)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, returns aware UTC, on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class FetchState(Base):
    __tablename__ = "fetch_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    source: Mapped[str] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_canonical_url", "canonical_url"),
        Index("ix_articles_text_hash", "text_hash"),
        # (fetched_at, id): `export --since` streams in this order straight off the index.
        Index("ix_articles_fetched_at", "fetched_at", "id"),
        Index("ix_articles_cluster_id", "cluster_id"),
        # Covers the digest's first question (relevant articles fetched in a window) without
        # reading the rows that carry the text.
        Index("ix_articles_relevant_fetched", "relevant", "fetched_at", "cluster_id", "id"),
        # The review desk's inbox: relevant, unlabelled, fetched in a window, best first.
        Index("ix_articles_inbox", "relevant", "label", "fetched_at", "relevance_score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    canonical_url: Mapped[str] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(String(20), nullable=True)
    site_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    relevance_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    relevant: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    why: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), nullable=True
    )
    duplicate_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cluster_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    crawl_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The newest reviewer label (copied from ``labels``): when set, ``relevant`` equals it.
    label: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    labelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    labelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UrlKey(Base):
    """A normalized URL (an article's own or its canonical URL) and the article holding it.

    The key is computed once, when the article is stored; the first article to claim a key
    keeps it (a later copy with the same canonical URL is a duplicate of that one).
    """

    __tablename__ = "url_keys"
    __table_args__ = (Index("ix_url_keys_article_id", "article_id"),)

    key: Mapped[str] = mapped_column(String(2000), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))


class DedupBand(Base):
    """One LSH band key of one stored MinHash signature (see ``storage/dedup.py``)."""

    __tablename__ = "dedup_bands"
    __table_args__ = (
        Index("ix_dedup_bands_article_id", "article_id"),
        {"sqlite_with_rowid": False},
    )

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


class SourceTotal(Base):
    """Running counts of one source's stored articles, updated in the storing transaction."""

    __tablename__ = "source_totals"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    relevant: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WatchTotal(Base):
    """How many articles each watch-list rule has matched (added at the end of each crawl)."""

    __tablename__ = "watch_totals"

    rule: Mapped[str] = mapped_column(String(200), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    last_matched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Alert(Base):
    """One immediate alert of one story on one channel (``email`` or ``webhook``), recorded
    BEFORE it is sent, like a digest: ``sending``, then ``sent`` or ``failed``. The exact
    bytes are kept so that a send interrupted or failed is repeated unchanged (same
    Message-ID, same idempotency key); one row per story and channel, so a story never gets
    two different alerts."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("cluster_id", "channel", name="uq_alerts_cluster_channel"),
        Index("ix_alerts_status", "status"),
        Index("ix_alerts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(Integer)
    article_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="sending")
    key: Mapped[str] = mapped_column(String(255))  # Message-ID or idempotency key
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ArchiveMeta(Base):
    """Small named values, e.g. the checkpoint of a backfill that a kill interrupted."""

    __tablename__ = "archive_meta"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RawPage(Base):
    __tablename__ = "raw_pages"
    __table_args__ = (Index("ix_raw_pages_fetched_at", "fetched_at"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    encoding: Mapped[str | None] = mapped_column(String(50), nullable=True)
    body_gz: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (
        Index("ix_crawl_runs_started_at", "started_at"),
        # Every crawl start looks for ``running`` rows (storage.runs.mark_stale_runs).
        Index("ix_crawl_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # running, ok, partial (some sources failed), failed (all failed), killed
    status: Mapped[str] = mapped_column(String(20), default="running")
    sources: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CrawlRunSource(Base):
    __tablename__ = "crawl_run_sources"
    __table_args__ = (
        UniqueConstraint("run_id", "source", name="uq_crawl_run_sources_run_source"),
        Index("ix_crawl_run_sources_source", "source", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(200))
    discovered: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    relevant: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Links not fetched, by reason (storage.skips), with the run's age limit.
    skipped: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_article_id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    relevant: Mapped[bool] = mapped_column(Boolean)
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Digest(Base):
    """One digest email for one recipient list, recorded BEFORE it is sent.

    status: ``sending`` (recorded, send in progress or interrupted), ``sent`` (the mail server
    accepted it), ``failed`` (the server refused or was unreachable; its articles stay undelivered).
    The exact message is stored so that an interrupted send can be repeated byte for byte,
    with the same Message-ID.
    """

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_recipients_key_status", "recipients_key", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of the sorted, lower-cased recipient addresses: "per recipient list"
    recipients_key: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="sending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    story_count: Mapped[int] = mapped_column(Integer, default=0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class DigestItem(Base):
    """An article (lead story or "also reported by" copy) carried by a digest."""

    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("digest_id", "article_id", name="uq_digest_items_digest_article"),
        Index("ix_digest_items_article_id", "article_id"),
        Index("ix_digest_items_cluster_id", "cluster_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VisitedUrl(Base):
    """A URL fetched but not stored as an article, so later crawls do not fetch it again.

    reason: ``no_text`` (no article text), ``not_found`` (404/410), ``too_large``,
    ``not_html``. Transient failures (5xx, timeouts) are not recorded: they are retried.
    """

    __tablename__ = "visited_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
