"""Named read-only queries behind ``newsmon stats`` (totals, per-source health, last runs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, CrawlRunSource, Source, SourceTotal
from storage.skips import counts_only, skip_reports


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
    # The latest run that listed entries: links not fetched, by reason (storage.skips), and
    # how many runs in a row a filter has kept everything out (flagged from FILTERED_RUNS).
    last_new: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_text: str | None = None
    filtered_runs: int = 0
    held_by_filter: bool = False


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
    """Counts over every stored article, summed from the per-source counters
    (``source_totals``, kept by every write): no pass over the archive."""
    row = session.execute(
        select(
            func.sum(SourceTotal.articles),
            func.sum(SourceTotal.relevant),
            func.sum(SourceTotal.duplicates),
        )
    ).one()
    articles, relevant, duplicates = _n(row[0]), _n(row[1]), _n(row[2])
    # Every copy joins the story of an original, and every original starts one.
    return Totals(
        articles=articles, relevant=relevant, duplicates=duplicates, clusters=articles - duplicates
    )


def source_stats(session: Session) -> list[SourceStat]:
    """Every source known from the ``sources`` table or from stored articles, by name."""
    counts = {t.source: t for t in session.scalars(select(SourceTotal))}
    health = {s.name: s for s in session.scalars(select(Source))}
    names = sorted(set(counts) | set(health))
    skips = skip_reports(session, names)
    out: list[SourceStat] = []
    for name in names:
        total = counts.get(name)
        src = health.get(name)
        skip = skips.get(name)
        out.append(
            SourceStat(
                name=name,
                kind=(src.kind or None) if src else None,
                articles=total.articles if total else 0,
                relevant=total.relevant if total else 0,
                duplicates=total.duplicates if total else 0,
                last_fetched_at=total.last_fetched_at if total else None,
                last_success_at=src.last_success_at if src else None,
                consecutive_failures=src.consecutive_failures if src else 0,
                last_error=src.last_error if src else None,
                last_new=skip.new if skip else 0,
                skipped=counts_only(skip.skipped) if skip else {},
                skipped_text=(skip.summary or None) if skip else None,
                filtered_runs=skip.filtered_runs if skip else 0,
                held_by_filter=skip.flagged if skip else False,
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
