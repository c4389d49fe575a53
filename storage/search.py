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


def search_query(dialect: str, f: SearchFilters, *, paged: bool = True) -> Select[Any]:
    """The SELECT of ``Article`` rows matching ``f``, sorted, one page (or all)."""
    conds: list[ColumnElement[bool]] = []
    words = f.words
    rank: ColumnElement[Any] | None = None
    stmt: Select[Any]
    if words and dialect == "sqlite":
        # Join the FTS5 matches so that bm25 ranks them (lower bm25 is better).
        matched = (
            text(
                f"SELECT rowid AS id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH :fts"
            )
            .bindparams(fts=fts5_query(words))
            .columns(id=Integer, rank=Float)
            .subquery("m")
        )
        stmt = select(Article).join(matched, matched.c.id == Article.id)
        rank = -matched.c.rank
    elif words:
        cond, rank = _pg_match(words)
        stmt = select(Article)
        conds.append(cond)
    else:
        stmt = select(Article)
    if f.published_from is not None:
        conds.append(Article.published_at >= f.published_from)
    if f.published_to is not None:
        conds.append(Article.published_at < f.published_to)
    if f.fetched_from is not None:
        conds.append(Article.fetched_at >= f.fetched_from)
    if f.fetched_to is not None:
        conds.append(Article.fetched_at < f.fetched_to)
    if f.source:
        conds.append(Article.source == f.source)
    if f.language:
        conds.append(Article.language == f.language)
    if f.relevant is not None:
        conds.append(Article.relevant.is_(f.relevant))
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
    if conds:
        stmt = stmt.where(and_(*conds))
    sort = f.sort if f.sort in SORTS else "match"
    if sort == "match" and rank is not None:
        stmt = stmt.order_by(rank.desc(), Article.id.desc())
    elif sort == "score":
        stmt = stmt.order_by(Article.relevance_score.desc(), Article.id.desc())
    else:
        stmt = stmt.order_by(Article.fetched_at.desc(), Article.id.desc())
    if paged:
        page = max(f.page, 1)
        stmt = stmt.limit(f.per_page + 1).offset((page - 1) * f.per_page)
    return stmt


def search(session: Session, f: SearchFilters) -> SearchPage:
    dialect = session.get_bind().dialect.name
    f = replace(f, page=max(1, min(f.page, 500)))
    rows = list(session.scalars(search_query(dialect, f)))
    return SearchPage(rows[: f.per_page], f.page, len(rows) > f.per_page)
