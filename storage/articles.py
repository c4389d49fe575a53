"""Storing and reading articles. Writes are idempotent on ``url`` (ON CONFLICT DO NOTHING),
so a rerun after a crash neither loses nor doubles an article."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.compress import gzip_raw
from storage.models import Article, DedupBand, RawPage, SourceTotal, UrlKey, UTCDateTime
from storage.records import ArticleRecord
from storage.urlkey import url_key

# Rows fetched per round trip when streaming; bounds memory on large exports.
STREAM_BATCH = 500


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

    The crawler calls this once per article, so it uses only statements SQLAlchemy can cache
    (its ON CONFLICT constructs cannot be cached and were compiled on every call, about
    6 ms each): look the url up, then a plain INSERT. Inside the caller's write transaction
    (SQLite: BEGIN IMMEDIATE) nothing can insert the url in between; on PostgreSQL a
    concurrent writer that wins the race makes the INSERT fail on the unique url, which is
    then reported as "already stored".
    """
    table = _articles()
    conn = session.connection()
    existing = conn.execute(select(table.c.id).where(table.c.url == rec.url)).scalar()
    if existing is not None:
        return int(existing), False

    cluster_id = rec.cluster_id
    if rec.duplicate_of is not None and cluster_id is None:
        original_cluster = conn.execute(
            select(table.c.cluster_id).where(table.c.id == rec.duplicate_of)
        ).scalar()
        cluster_id = original_cluster if original_cluster is not None else rec.duplicate_of

    values = _article_values(rec, cluster_id)
    # A failed statement aborts a PostgreSQL transaction unless it ran in a savepoint; SQLite
    # undoes just the statement (and its writers are serialized anyway).
    guard = nullcontext() if conn.dialect.name == "sqlite" else conn.begin_nested()
    try:
        with guard:
            new_id = _insert_row(conn, values)
    except IntegrityError:
        raced = conn.execute(select(table.c.id).where(table.c.url == rec.url)).scalar()
        if raced is None:
            raise
        return int(raced), False

    if cluster_id is None:
        conn.execute(update(table).where(table.c.id == new_id).values(cluster_id=new_id))
    _index_article(conn, new_id, rec)
    body_gz = rec.raw_body_gz
    if body_gz is None and rec.raw_body is not None:
        body_gz = gzip_raw(rec.raw_body)
    if body_gz is not None:
        conn.execute(
            insert(RawPage),
            {
                "article_id": new_id,
                "content_type": rec.content_type,
                "encoding": rec.encoding,
                "body_gz": body_gz,
                "fetched_at": rec.fetched_at,
            },
        )
    return new_id, True


_KEYS_TAKEN = select(UrlKey.key).where(UrlKey.key.in_(bindparam("keys", expanding=True)))
_BUMP_TOTALS = (
    update(SourceTotal)
    .where(SourceTotal.source == bindparam("src"))
    .values(
        articles=SourceTotal.articles + 1,
        relevant=SourceTotal.relevant + bindparam("rel"),
        duplicates=SourceTotal.duplicates + bindparam("dup"),
        last_fetched_at=case(
            (
                or_(
                    SourceTotal.last_fetched_at.is_(None),
                    SourceTotal.last_fetched_at < bindparam("at", type_=UTCDateTime),
                ),
                bindparam("at", type_=UTCDateTime),
            ),
            else_=SourceTotal.last_fetched_at,
        ),
    )
)


def _index_article(conn: Connection, article_id: int, rec: ArticleRecord) -> None:
    """The article's URL keys, LSH band keys and its source's counters, in its transaction.

    Only cacheable statements (see :func:`insert_article`): keys already held by another
    article are looked up, then the rest inserted.
    """
    keys = {url_key(rec.url), url_key(rec.canonical_url)}
    taken = set(conn.execute(_KEYS_TAKEN, {"keys": sorted(keys)}).scalars())
    free = sorted(keys - taken)
    if free:
        guard = nullcontext() if conn.dialect.name == "sqlite" else conn.begin_nested()
        try:
            with guard:
                conn.execute(insert(UrlKey), [{"key": k, "article_id": article_id} for k in free])
        except IntegrityError:
            pass  # another writer claimed the key in between: the first article keeps it
    # An exact copy's signature is its original's, already indexed.
    if rec.band_keys and rec.duplicate_kind != "exact":
        conn.execute(
            insert(DedupBand),
            [{"key": k, "article_id": article_id} for k in sorted(set(rec.band_keys))],
        )
    bump = {
        "src": rec.source,
        "rel": 1 if rec.relevant else 0,
        "dup": 1 if rec.duplicate_of is not None else 0,
        "at": rec.fetched_at,
    }
    if conn.execute(_BUMP_TOTALS, bump).rowcount == 0:
        guard = nullcontext() if conn.dialect.name == "sqlite" else conn.begin_nested()
        try:
            with guard:
                conn.execute(
                    insert(SourceTotal),
                    {
                        "source": rec.source,
                        "articles": 1,
                        "relevant": bump["rel"],
                        "duplicates": bump["dup"],
                        "last_fetched_at": rec.fetched_at,
                    },
                )
        except IntegrityError:  # created by a concurrent writer since the UPDATE
            conn.execute(_BUMP_TOTALS, bump)


def _articles() -> Table:
    table = Article.__table__
    assert isinstance(table, Table)
    return table


def _insert_row(conn: Connection, values: dict[str, Any]) -> int:
    table = _articles()
    if conn.dialect.insert_returning:
        return int(conn.execute(table.insert().returning(table.c.id), values).scalar_one())
    # SQLite before 3.35 (e.g. Debian 11) has no RETURNING; lastrowid gives the id.
    return int(conn.execute(table.insert(), values).inserted_primary_key[0])


def raw_body(session: Session, article_id: int) -> bytes | None:
    """The fetched bytes of an article (decompressed), or None when not kept."""
    body = session.scalar(select(RawPage.body_gz).where(RawPage.article_id == article_id))
    return gzip.decompress(body) if body is not None else None


def articles_query(
    *, since: dt.datetime | None = None, relevant_only: bool = False
) -> Select[tuple[Article]]:
    """The SELECT behind :func:`iter_articles`, for callers that count it.

    With ``since`` the rows come in (fetched_at, id) order, read off ``ix_articles_fetched_at``
    from ``since`` on; ordering by id alone made the database walk every article. Without it,
    in id order.
    """
    stmt = select(Article)
    if since is not None:
        stmt = stmt.where(Article.fetched_at >= since).order_by(Article.fetched_at, Article.id)
    else:
        stmt = stmt.order_by(Article.id)
    if relevant_only:
        stmt = stmt.where(Article.relevant.is_(True))
    return stmt


def iter_articles(
    session: Session, *, since: dt.datetime | None = None, relevant_only: bool = False
) -> Iterator[Article]:
    """Stream stored articles (see :func:`articles_query` for the order), ``STREAM_BATCH``
    rows per round trip.

    ``since`` keeps articles fetched at or after it (naive datetimes are taken as UTC).
    The rows are live ORM objects: consume them while ``session`` is open.
    """
    stmt = articles_query(since=since, relevant_only=relevant_only)
    yield from session.scalars(stmt.execution_options(yield_per=STREAM_BATCH))
