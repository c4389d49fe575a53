"""Why listed links were not fetched: the reasons, their words, and sources held back by a filter.

A crawl counts every link it did not request under one reason (``crawler.stats`` keys
``skipped/<reason>``); the counts of each source and run are stored as a JSON object in
``crawl_run_sources.skipped``, with the age limit of that run under :data:`AGE_KEY`, so the
words "older than 7 days" stay true for that run whatever the config says later.

A source whose listings had entries but that stored nothing new for :data:`FILTERED_RUNS` runs
in a row, while links were skipped for a filter reason (age, budget, patterns, the
article-link heuristic, robots.txt, off-site) and none was already stored, is *held back by a
filter*: ``stats`` and the digest flag it instead of calling it healthy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRunSource

AGE_KEY = "age_days"  # the run's max_article_age_days, stored beside the counts
FILTERED_RUNS = 3  # runs in a row before a filtered source is flagged

# reason -> what it means, in the order reports list them.
REASONS: dict[str, str] = {
    "known": "already stored",
    "visited": "fetched before without an article",
    "seen": "already requested in this run",
    "old": "older than the age limit",
    "budget": "beyond max_articles",
    "filtered": "denied by a pattern (allow/deny)",
    "not_article": "not article-like (no allow patterns: the article-link heuristic decides)",
    "robots": "disallowed by robots.txt",
    "offsite": "on another site",
}
# Reasons that are a filter's doing (the others mean "nothing new there").
FILTER_REASONS = ("old", "budget", "filtered", "not_article", "robots", "offsite")


def counts_only(skipped: Mapping[str, Any] | None) -> dict[str, int]:
    """The reason counts of a stored ``skipped`` object (without :data:`AGE_KEY`), nonzero."""
    out: dict[str, int] = {}
    for reason, value in (skipped or {}).items():
        if reason != AGE_KEY and isinstance(value, int) and value > 0:
            out[reason] = value
    return out


def label(reason: str, count: int, age_days: int | None = None) -> str:
    """``50 older than 7 days``; ``3 denied by a pattern (allow/deny)``."""
    if reason == "old" and age_days:
        return f"{count} older than {age_days} day{'' if age_days == 1 else 's'}"
    return f"{count} {REASONS.get(reason, reason.replace('_', ' '))}"


def describe(skipped: Mapping[str, Any] | None, *, limit: int = 4) -> str:
    """The skip counts in words, largest first: ``50 older than 7 days, 12 already stored``."""
    counts = counts_only(skipped)
    age = (skipped or {}).get(AGE_KEY)
    age_days = age if isinstance(age, int) else None
    order = list(REASONS)
    ranked = sorted(
        counts.items(),
        key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else len(order)),
    )
    parts = [label(reason, n, age_days) for reason, n in ranked[:limit]]
    rest = sum(n for _, n in ranked[limit:])
    if rest:
        parts.append(f"{rest} for other reasons")
    return ", ".join(parts)


def held_by_filter(new: int, skipped: Mapping[str, Any] | None) -> bool:
    """One run of a source that stored nothing new because a filter skipped its links."""
    counts = counts_only(skipped)
    if new or counts.get("known") or counts.get("visited"):
        return False
    return any(counts.get(r) for r in FILTER_REASONS)


@dataclass(frozen=True)
class SkipReport:
    """A source's latest run with entries, and whether a filter has held it back."""

    source: str
    new: int
    skipped: dict[str, Any]
    filtered_runs: int  # runs in a row (newest first) held back by a filter

    @property
    def flagged(self) -> bool:
        return self.filtered_runs >= FILTERED_RUNS

    @property
    def summary(self) -> str:
        return describe(self.skipped)


def skip_reports(session: Session, sources: Iterable[str]) -> dict[str, SkipReport]:
    """For each source, its last few runs (an indexed read of ``(source, run_id)``).

    Runs that listed nothing (304 Not Modified, an empty listing, a failed fetch) neither
    start nor break a streak: nothing new arrived to be filtered.
    """
    out: dict[str, SkipReport] = {}
    for name in sources:
        rows = session.execute(
            select(CrawlRunSource.new, CrawlRunSource.discovered, CrawlRunSource.skipped)
            .where(CrawlRunSource.source == name)
            .order_by(CrawlRunSource.run_id.desc())
            .limit(FILTERED_RUNS * 3)
        ).all()
        latest: tuple[int, dict[str, Any]] | None = None
        streak = 0
        for new, discovered, skipped in rows:
            counts = counts_only(skipped)
            if not (new or discovered or counts):
                continue
            if latest is None:
                latest = (int(new or 0), dict(skipped or {}))
            if held_by_filter(int(new or 0), skipped):
                streak += 1
            else:
                break
        if latest is not None:
            out[name] = SkipReport(name, latest[0], latest[1], streak)
    return out
