"""A bundled fictional news site served on a loopback port, for ``newsmon demo`` and the tests.

``NewsSite`` (in :mod:`scheduler.demosite.server`) serves invented articles on and off the
default topic through RSS 2.0, Atom, RDF and JSON feeds, sitemaps (index, urlset, gzip,
Google News), section pages, Cyrillic pages in windows-1251 and KOI8-R, a syndicated copy, a
robots.txt with a Disallow and a Crawl-delay, a redirect, a 404 and a 500.
"""

from __future__ import annotations

from scheduler.demosite.server import NewsSite, RequestRecord

__all__ = ["NewsSite", "RequestRecord"]
