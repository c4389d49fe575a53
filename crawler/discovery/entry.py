"""What discovery finds: an article (or child sitemap) URL with the hints its listing gave."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be parsed at all (counted as a source error)."""


@dataclass(frozen=True)
class Discovered:
    """One URL found in a feed, sitemap or section page.

    ``published_at`` is aware UTC (feed date, sitemap ``lastmod`` or
    ``news:publication_date``); None when the listing gave none.
    """

    url: str
    title: str | None = None
    published_at: dt.datetime | None = None

    def older_than(self, cutoff: dt.datetime | None) -> bool:
        """True when the entry is dated and its date is before ``cutoff``."""
        return cutoff is not None and self.published_at is not None and self.published_at < cutoff
