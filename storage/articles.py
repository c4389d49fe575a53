"""Storing and reading articles. Writes are idempotent on ``url`` (ON CONFLICT DO NOTHING),
so a rerun after a crash neither loses nor doubles an article."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from storage._dialect import upsert_insert
from storage.models import Article, RawPage
from storage.records import ArticleRecord

# Rows fetched per round trip when streaming; bounds memory on large exports.
STREAM_BATCH = 500


def known_urls(session: Session) -> set[str]:
    """Every stored ``url`` and ``canonical_url``: the crawler never fetches these again."""
    urls: set[str] = set()
    rows = session.execute(
        select(Article.url, Article.canonical_url).execution_options(yield_per=5000)
    )
    for url, canonical in rows:
        urls.add(url)
        if canonical:
            urls.add(canonical)
    return urls


def _article_values(rec: ArticleRecord, cluster_id: int | None) -> dict[str, Any]:
    return {
        "url": rec.url,
        "canonical_url": rec.canonical_url,
        "source": rec.source,
        "title": rec.title,
        "author": rec.author,
        "published_at": rec.published_at,
        "fetched_at": rec.fetched_at,
        "language": rec.language,
        "site_name": rec.site_name,
        "text": rec.text,
        "text_hash": rec.text_hash,
        "minhash": rec.minhash,
        "relevance_score": rec.relevance_score,
        "relevant": rec.relevant,
        "why": rec.why,
        "model_version": rec.model_version,
        "duplicate_of": rec.duplicate_of,
        "duplicate_kind": rec.duplicate_kind,
        "cluster_id": cluster_id,
        "crawl_run_id": rec.crawl_run_id,
    }


def insert_article(session: Session, rec: ArticleRecord) -> tuple[int, bool]:
    """Store ``rec`` unless its ``url`` is already stored; return ``(id, inserted)``.

    An original (``duplicate_of`` None) gets ``cluster_id`` = its own id; a duplicate
    without a cluster id joins its original's cluster. The raw body, when given, is stored
    gzip'd in ``raw_pages``. Everything happens in the caller's transaction.
    """
    cluster_id = rec.cluster_id
    if rec.duplicate_of is not None and cluster_id is None:
        original_cluster = session.scalar(
            select(Article.cluster_id).where(Article.id == rec.duplicate_of)
        )
        cluster_id = original_cluster if original_cluster is not None else rec.duplicate_of

    table = Article.__table__
    stmt = (
        upsert_insert(session, table)
        .values(**_article_values(rec, cluster_id))
        .on_conflict_do_nothing(index_elements=["url"])
    )
    new_id: int | None
    if session.get_bind().dialect.insert_returning:
        new_id = session.execute(stmt.returning(table.c.id)).scalar_one_or_none()
    else:
        # SQLite before 3.35 (e.g. Debian 11) has ON CONFLICT but no RETURNING; its
        # rowcount says whether the row went in and lastrowid gives the id.
        result = session.connection().execute(stmt)
        new_id = result.inserted_primary_key[0] if result.rowcount else None
    if new_id is None:
        existing: int = session.execute(
            select(Article.id).where(Article.url == rec.url)
        ).scalar_one()
        return existing, False

    if cluster_id is None:
        session.execute(update(Article).where(Article.id == new_id).values(cluster_id=new_id))
    if rec.raw_body is not None:
        raw = (
            upsert_insert(session, RawPage.__table__)
            .values(
                article_id=new_id,
                content_type=rec.content_type,
                encoding=rec.encoding,
                body_gz=gzip.compress(rec.raw_body, compresslevel=6),
                fetched_at=rec.fetched_at,
            )
            .on_conflict_do_nothing(index_elements=["article_id"])
        )
        session.execute(raw)
    return new_id, True


def raw_body(session: Session, article_id: int) -> bytes | None:
    """The fetched bytes of an article (decompressed), or None when not kept."""
    body = session.scalar(select(RawPage.body_gz).where(RawPage.article_id == article_id))
    return gzip.decompress(body) if body is not None else None


def articles_query(
    *, since: dt.datetime | None = None, relevant_only: bool = False
) -> Select[tuple[Article]]:
    """The SELECT behind :func:`iter_articles` (ordered by id), for callers that count it."""
    stmt = select(Article).order_by(Article.id)
    if since is not None:
        stmt = stmt.where(Article.fetched_at >= since)
    if relevant_only:
        stmt = stmt.where(Article.relevant.is_(True))
    return stmt


def iter_articles(
    session: Session, *, since: dt.datetime | None = None, relevant_only: bool = False
) -> Iterator[Article]:
    """Stream stored articles in id order, ``STREAM_BATCH`` rows per round trip.

    ``since`` keeps articles fetched at or after it (naive datetimes are taken as UTC).
    The rows are live ORM objects: consume them while ``session`` is open.
    """
    stmt = articles_query(since=since, relevant_only=relevant_only)
    yield from session.scalars(stmt.execution_options(yield_per=STREAM_BATCH))
