"""Full-text search over the archive, with filters, sort and pages (the review desk's search
and its exports).

search(session, SearchFilters) -> SearchPage     # one page of results
search_query(dialect, SearchFilters) -> Select    # the statement, for EXPLAIN and exports

The words match through the index built by migration 0005 (``storage.search_schema``): FTS5
on SQLite (each word also matches as a prefix, so an inflected Russian form is found), the
stored English and Russian ``to_tsvector`` with its GIN index on PostgreSQL. User input never
reaches the query syntax: it is split into words and quoted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    SQLColumnExpression,
    and_,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from storage.models import Article
from storage.search_schema import FTS_TABLE, PG_VECTOR

SORTS = ("match", "score", "date")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchFilters:
    """What the search form sends; every field optional."""

    q: str = ""
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    fetched_from: dt.datetime | None = None
    fetched_to: dt.datetime | None = None
    source: str | None = None
    language: str | None = None
    relevant: bool | None = None
    label: str | None = None  # "relevant", "not_relevant", "none"
    score_min: float | None = None
    score_max: float | None = None
    sort: str = "match"
    page: int = 1
    per_page: int = 20

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.q)[:20]


@dataclass(frozen=True)
class SearchPage:
    results: list[Article]
    page: int
    has_more: bool


def fts5_query(words: list[str]) -> str:
    """Every word, quoted (no operator can be injected) and matched as a prefix."""
    return " ".join('"' + w.replace('"', "") + '"*' for w in words)


def _pg_match(words: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """PostgreSQL: the words stemmed in English or in Russian, against the stored vector
    (GIN-indexed), and the rank."""
    query = " ".join(words)
    tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), query).op("||")(
        func.plainto_tsquery(literal_column("'russian'::regconfig"), query)
    )
    vector: ColumnElement[Any] = literal_column(f"articles.{PG_VECTOR}")
    return vector.op("@@")(tsquery), func.ts_rank(vector, tsquery)


def _row_conditions(f: SearchFilters, *, indexed: bool) -> list[ColumnElement[bool]]:
    """The filters as conditions on ``articles``; with ``indexed`` only those the covering
    index ``ix_articles_relevant_fetched`` answers (relevant, fetched range), without it only
    the others."""
    conds: list[ColumnElement[bool]] = []
    if indexed:
        if f.relevant is not None:
            conds.append(Article.relevant.is_(f.relevant))
        if f.fetched_from is not None:
            conds.append(Article.fetched_at >= f.fetched_from)
        if f.fetched_to is not None:
            conds.append(Article.fetched_at < f.fetched_to)
        return conds
    if f.published_from is not None:
        conds.append(Article.published_at >= f.published_from)
    if f.published_to is not None:
        conds.append(Article.published_at < f.published_to)
    if f.source:
        conds.append(Article.source == f.source)
    if f.language:
        conds.append(Article.language == f.language)
    if f.label == "relevant":
        conds.append(Article.label.is_(True))
    elif f.label == "not_relevant":
        conds.append(Article.label.is_(False))
    elif f.label == "none":
        conds.append(Article.label.is_(None))
    if f.score_min is not None:
        conds.append(Article.relevance_score >= f.score_min)
    if f.score_max is not None:
        conds.append(Article.relevance_score <= f.score_max)
    return conds


def _order(sort: str, rank: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    if sort == "match" and rank is not None:
        return [rank.desc(), Article.id.desc()]
    if sort == "score":
        return [Article.relevance_score.desc(), Article.id.desc()]
    return [Article.fetched_at.desc(), Article.id.desc()]


def _page(stmt: Select[Any], f: SearchFilters, paged: bool) -> Select[Any]:
    if not paged:
        return stmt
    page = max(f.page, 1)
    return stmt.limit(f.per_page + 1).offset((page - 1) * f.per_page)


def _sqlite_word_search(f: SearchFilters, words: list[str], paged: bool) -> Select[Any]:
    """SQLite with words: the FTS5 matches, one page of them picked before any article row is
    read, then those articles.

    Measured on a 1M-article archive with a word in 75% of the texts (bench_desk.py): joining
    every match to ``articles`` read each row's overflow pages (the text sits before
    ``relevant``, ``label`` and the score in the row) and took 3-6 s. So the matches are
    bounded by rowid when a fetched range is asked (articles are numbered as they are stored,
    and the lowest and highest id in the range come off the covering index
    ``ix_articles_fetched_at``), kept MATERIALIZED (SQLite would otherwise push an ``IN`` into
    FTS5 as one rowid lookup per value), filtered by ``relevant`` and the fetched range through
    the covering index ``ix_articles_relevant_fetched``, and only the other filters, when
    asked, read the rows of the matches left.
    """
    bounds = ""
    params: dict[str, Any] = {"fts": fts5_query(words)}
    if f.fetched_from is not None:
        bounds += (
            " AND rowid >= coalesce((SELECT min(+id) FROM articles WHERE fetched_at >= :ff), 0)"
        )
        params["ff"] = f.fetched_from
    if f.fetched_to is not None:
        bounds += (
            " AND rowid <= coalesce((SELECT max(+id) FROM articles WHERE fetched_at < :ft), 0)"
        )
        params["ft"] = f.fetched_to
    matched = (
        text(
            f"SELECT rowid AS id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH :fts{bounds}"
        )
        .bindparams(**params)
        .columns(id=Integer, rank=Float)
        .cte("m")
        .prefix_with("MATERIALIZED")
    )
    sort = f.sort if f.sort in SORTS else "match"
    # The sort key rides along with each hit, so that the outer query orders the page the same.
    key: SQLColumnExpression[Any] = {
        "match": -matched.c.rank,
        "score": Article.relevance_score,
        "date": Article.fetched_at,
    }[sort]
    inner = select(matched.c.id.label("id"), key.label("key"))
    indexed = _row_conditions(f, indexed=True)
    if indexed:
        inner = inner.where(matched.c.id.in_(select(Article.id).where(*indexed)))
    others = _row_conditions(f, indexed=False)
    if others or sort != "match":
        inner = inner.join(Article, Article.id == matched.c.id).where(*others)
    hits = _page(inner.order_by(key.desc(), matched.c.id.desc()), f, paged).subquery("hits")
    return (
        select(Article)
        .join(hits, hits.c.id == Article.id)
        .order_by(hits.c.key.desc(), hits.c.id.desc())
    )


def search_query(dialect: str, f: SearchFilters, *, paged: bool = True) -> Select[Any]:
    """The SELECT of ``Article`` rows matching ``f``, sorted, one page (or all)."""
    words = f.words
    if words and dialect == "sqlite":
        return _sqlite_word_search(f, words, paged)
    rank: ColumnElement[Any] | None = None
    conds = [*_row_conditions(f, indexed=True), *_row_conditions(f, indexed=False)]
    if words:
        cond, rank = _pg_match(words)
        conds.append(cond)
    stmt = select(Article)
    if conds:
        stmt = stmt.where(and_(*conds))
    sort = f.sort if f.sort in SORTS else "match"
    return _page(stmt.order_by(*_order(sort, rank)), f, paged)


def search(session: Session, f: SearchFilters) -> SearchPage:
    dialect = session.get_bind().dialect.name
    f = replace(f, page=max(1, min(f.page, 500)))
    rows = list(session.scalars(search_query(dialect, f)))
    return SearchPage(rows[: f.per_page], f.page, len(rows) > f.per_page)
