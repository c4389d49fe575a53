"""The result of extracting one page (kept free of heavy imports: the crawl process needs it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Extracted:
    """What extraction found on one page.

    ``canonical_url`` is absolute (resolved against the page URL) but not normalized;
    ``published_at`` is timezone-aware UTC (midnight UTC when the page gives only a date);
    ``encoding`` is the Python codec used to decode the page.
    """

    text: str
    title: str | None
    author: str | None
    published_at: dt.datetime | None
    language: str | None
    site_name: str | None
    canonical_url: str | None
    encoding: str
