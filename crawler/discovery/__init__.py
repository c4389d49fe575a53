"""Discovery: pure functions that turn feeds, sitemaps and section pages into article URLs.

Nothing here does I/O; the spider fetches and these parse, so every format is unit-tested on
inline samples.
"""

from __future__ import annotations

from crawler.discovery.dates import parse_date
from crawler.discovery.entry import Discovered, DiscoveryError
from crawler.discovery.feeds import parse_feed
from crawler.discovery.links import LinkFilter, extract_links, looks_like_article
from crawler.discovery.sitemaps import SitemapPage, parse_sitemap

__all__ = [
    "Discovered",
    "DiscoveryError",
    "LinkFilter",
    "SitemapPage",
    "extract_links",
    "looks_like_article",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
]
