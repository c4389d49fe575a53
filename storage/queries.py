"""Named read-only queries behind ``newsmon stats`` (totals, per-source health, last runs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, CrawlRunSource, Source


@dataclass(frozen=True)
class Totals:
    """Whole-archive counts. ``clusters`` counts stories (an original and its copies)."""

    articles: int
    relevant: int
    duplicates: int
    clusters: int


@dataclass(frozen=True)
class SourceStat:
    """What one source has contributed and how healthy it is."""

    name: str
    kind: str | None
    articles: int
    relevant: int
    duplicates: int
    last_fetched_at: dt.datetime | None
    last_success_at: dt.datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class RunStat:
    """One crawl run with its per-source counts summed."""

    id: int
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    sources: list[str] = field(default_factory=list)
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    relevant: int = 0
    duplicates: int = 0
    not_modified: int = 0
    errors: int = 0
    error: str | None = None


def _n(value: int | None) -> int:
    return int(value or 0)


def totals(session: Session) -> Totals:
    """Counts over every stored article."""
    row = session.execute(
        select(
            func.count(Article.id),
            func.sum(case((Article.relevant.is_(True), 1), else_=0)),
            func.count(Article.duplicate_of),
            func.count(func.distinct(func.coalesce(Article.cluster_id, Article.id))),
        )
    ).one()
    return Totals(
        articles=_n(row[0]), relevant=_n(row[1]), duplicates=_n(row[2]), clusters=_n(row[3])
    )


def source_stats(session: Session) -> list[SourceStat]:
    """Every source known from the ``sources`` table or from stored articles, by name."""
    counts = {
        name: (total, relevant, dups, last)
        for name, total, relevant, dups, last in session.execute(
            select(
                Article.source,
                func.count(Article.id),
                func.sum(case((Article.relevant.is_(True), 1), else_=0)),
                func.count(Article.duplicate_of),
                func.max(Article.fetched_at),
            ).group_by(Article.source)
        )
    }
    health = {s.name: s for s in session.scalars(select(Source))}
    out: list[SourceStat] = []
    for name in sorted(set(counts) | set(health)):
        total, relevant, dups, last = counts.get(name, (0, 0, 0, None))
        src = health.get(name)
        if isinstance(last, dt.datetime) and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)  # aggregate results bypass the column type
        out.append(
            SourceStat(
                name=name,
                kind=(src.kind or None) if src else None,
                articles=_n(total),
                relevant=_n(relevant),
                duplicates=_n(dups),
                last_fetched_at=last,
                last_success_at=src.last_success_at if src else None,
                consecutive_failures=src.consecutive_failures if src else 0,
                last_error=src.last_error if src else None,
            )
        )
    return out


def recent_runs(session: Session, limit: int = 5) -> list[RunStat]:
    """The ``limit`` most recent crawl runs, newest first, with summed per-source counts."""
    runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)).all()
    if not runs:
        return []
    sums = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                CrawlRunSource.run_id,
                func.sum(CrawlRunSource.discovered),
                func.sum(CrawlRunSource.fetched),
                func.sum(CrawlRunSource.new),
                func.sum(CrawlRunSource.relevant),
                func.sum(CrawlRunSource.duplicates),
                func.sum(CrawlRunSource.not_modified),
                func.sum(CrawlRunSource.errors),
            )
            .where(CrawlRunSource.run_id.in_([r.id for r in runs]))
            .group_by(CrawlRunSource.run_id)
        )
    }
    out: list[RunStat] = []
    for run in runs:
        s = sums.get(run.id, (0,) * 7)
        out.append(
            RunStat(
                id=run.id,
                status=run.status,
                started_at=run.started_at,
                finished_at=run.finished_at,
                sources=list(run.sources or []),
                discovered=_n(s[0]),
                fetched=_n(s[1]),
                new=_n(s[2]),
                relevant=_n(s[3]),
                duplicates=_n(s[4]),
                not_modified=_n(s[5]),
                errors=_n(s[6]),
                error=run.error,
            )
        )
    return out
