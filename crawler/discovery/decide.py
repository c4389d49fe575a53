"""Whether a listed article URL is requested, and if not why: one decision shared by the
crawl (crawler.spiders.news) and ``newsmon sources test``, so the preview says what a
crawl would do. The reasons are those of storage.skips.REASONS."""

from __future__ import annotations

import datetime as dt

from crawler.discovery.entry import Discovered
from storage.known import STORED


def skip_reason(
    entry: Discovered,
    *,
    accepted: bool,
    known: str | None,
    requested: bool,
    cutoff: dt.datetime | None,
    budget_left: int,
) -> str | None:
    """None to request ``entry``; else ``filtered`` (allow/deny), ``known`` (stored),
    ``visited`` (fetched before without an article), ``seen`` (requested in this run),
    ``old`` (before ``cutoff``) or ``budget`` (max_articles reached), checked in that order."""
    if not accepted:
        return "filtered"
    if known == STORED:
        return "known"
    if known is not None:
        return "visited"
    if requested:
        return "seen"
    if entry.older_than(cutoff):
        return "old"
    if budget_left <= 0:
        return "budget"
    return None
