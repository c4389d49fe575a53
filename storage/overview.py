"""What the review desk's sources and digests pages show: source health from the crawl-run
records (never from the articles), and the digests sent.

source_overview(session, now) -> list[SourceOverview]
digests(session, limit) -> list[Digest]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, CrawlRunSource, Digest, Source

#: The crawl's per-source skip counters, in words (keys of ``crawler/stats.py``).
SKIP_REASONS = {
    "skipped/old": "too old",
    "skipped/filtered": "denied by allow/deny",
    "skipped/robots": "forbidden by robots.txt",
    "skipped/budget": "over max_articles",
    "skipped/known": "already stored",
    "skipped/visited": "fetched before, no article",
    "visited/no_text": "not article-like (no text)",
    "visited/not_html": "not HTML",
    "visited/too_large": "too large",
    "visited/not_found": "not found",
}


@dataclass
class SourceOverview:
    name: str
    url: str
    kind: str
    last_success_at: dt.datetime | None
    last_error: str | None
    failures: int
    new_7d: int = 0
    new_30d: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def _new_since(session: Session, since: dt.datetime) -> dict[str, int]:
    """New articles per source in the crawl runs started since ``since`` (run records, read
    by ``ix_crawl_runs_started_at``)."""
    stmt = (
        select(CrawlRunSource.source, func.sum(CrawlRunSource.new))
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(CrawlRun.started_at >= since)
        .group_by(CrawlRunSource.source)
    )
    return {name: int(n or 0) for name, n in session.execute(stmt).tuples()}


def source_overview(session: Session, now: dt.datetime) -> list[SourceOverview]:
    rows = [
        SourceOverview(
            s.name, s.url, s.kind, s.last_success_at, s.last_error, s.consecutive_failures
        )
        for s in session.scalars(select(Source).order_by(Source.name))
    ]
    week = _new_since(session, now - dt.timedelta(days=7))
    month = _new_since(session, now - dt.timedelta(days=30))
    last = session.scalars(
        select(CrawlRun)
        .where(CrawlRun.finished_at.is_not(None))
        .order_by(CrawlRun.started_at.desc())
        .limit(1)
    ).first()
    stats = (last.stats or {}) if last is not None else {}
    for row in rows:
        row.new_7d, row.new_30d = week.get(row.name, 0), month.get(row.name, 0)
        prefix = f"newsmon/source/{row.name}/"
        for key, words in SKIP_REASONS.items():
            n = stats.get(prefix + key)
            if isinstance(n, int | float) and n:
                row.skipped[words] = int(n)
    return rows


def digests(session: Session, limit: int = 100) -> list[Digest]:
    return list(session.scalars(select(Digest).order_by(Digest.id.desc()).limit(limit)))
