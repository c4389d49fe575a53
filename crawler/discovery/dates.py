"""Dates as feeds and sitemaps write them (W3C/ISO 8601, RFC 822), made aware UTC."""

from __future__ import annotations

import datetime as dt
import time
from email.utils import parsedate_to_datetime


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def from_struct_time(value: time.struct_time | None) -> dt.datetime | None:
    """feedparser's ``*_parsed`` fields are struct_time in UTC."""
    if value is None:
        return None
    try:
        return dt.datetime(*value[:6], tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


def parse_date(text: str | None) -> dt.datetime | None:
    """Parse an ISO 8601 / W3C datetime (``2024-05-01``, ``2024-05-01T10:00:00Z``) or an
    RFC 822 date; None when empty or unreadable (an undated entry is never skipped as old)."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return as_utc(dt.datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None
