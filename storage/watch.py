"""Counts of articles matched per watch-list rule (``watch_totals``), for ``newsmon stats``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage._dialect import upsert_insert
from storage.models import WatchTotal


@dataclass(frozen=True)
class WatchStat:
    rule: str
    articles: int
    last_matched_at: dt.datetime | None


def add_watch_counts(session: Session, counts: Mapping[str, int], now: dt.datetime) -> None:
    """Add one crawl's matches per rule (an upsert per rule that matched)."""
    for rule, n in counts.items():
        if n <= 0:
            continue
        stmt = upsert_insert(session, WatchTotal.__table__).values(
            rule=rule, articles=n, last_matched_at=now
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["rule"],
                set_={
                    "articles": WatchTotal.__table__.c.articles + n,
                    "last_matched_at": now,
                },
            )
        )


def watch_stats(session: Session) -> list[WatchStat]:
    """Every rule that has matched, by name (the table holds one row per rule)."""
    return [
        WatchStat(t.rule, t.articles, t.last_matched_at)
        for t in session.scalars(select(WatchTotal).order_by(WatchTotal.rule))
    ]
