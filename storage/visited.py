"""URLs fetched but not stored as articles: remembered so that later crawls skip them.

A page with no article text, a 404/410, a page over the size limit or a non-HTML answer will
give the same result next time; fetching it on every crawl costs a request and an extraction.
Transient failures (5xx, timeouts) are not recorded here: they are retried on the next run.
Rows are written with one multi-row upsert per batch (``first_seen`` kept, ``last_seen``,
``reason`` and ``status`` refreshed), so recording is idempotent and cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage._dialect import upsert_insert
from storage.models import VisitedUrl

# Reasons a fetched URL gave no article.
NO_TEXT = "no_text"
NOT_FOUND = "not_found"
TOO_LARGE = "too_large"
NOT_HTML = "not_html"
REASONS = (NO_TEXT, NOT_FOUND, TOO_LARGE, NOT_HTML)


@dataclass(frozen=True)
class Visit:
    """One fetched-but-not-stored URL (as requested, normalized by the caller)."""

    url: str
    reason: str
    status: int | None = None
    source: str | None = None
    seen_at: dt.datetime | None = None


def record_visits(session: Session, visits: Iterable[Visit]) -> int:
    """Upsert ``visits`` in the caller's transaction; returns how many rows were sent.

    A URL given twice keeps its last visit.
    """
    now = dt.datetime.now(dt.UTC)
    by_url = {v.url: v for v in visits}
    if not by_url:
        return 0
    for v in by_url.values():
        if v.reason not in REASONS:
            raise ValueError(f"unknown visit reason {v.reason!r}; expected one of {REASONS}")
    rows = [
        {
            "url": v.url,
            "source": v.source,
            "reason": v.reason,
            "status": v.status,
            "first_seen": v.seen_at or now,
            "last_seen": v.seen_at or now,
        }
        for v in by_url.values()
    ]
    table = VisitedUrl.__table__
    stmt = upsert_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "reason": stmt.excluded.reason,
            "status": stmt.excluded.status,
            "last_seen": stmt.excluded.last_seen,
        },
    )
    session.execute(stmt, rows)
    return len(rows)


def forget_visit(session: Session, url: str) -> None:
    """Drop ``url`` from the remembered set (it will be fetched again)."""
    session.execute(delete(VisitedUrl).where(VisitedUrl.url == url))
