"""The demo site's sitemaps: an index, a urlset, a gzipped archive and a Google News sitemap."""

from __future__ import annotations

import gzip
from datetime import datetime
from xml.sax.saxutils import escape

from scheduler.demosite.content import Article
from scheduler.demosite.pages import SITE_NAME

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def index(base_url: str, children: list[tuple[str, datetime]]) -> bytes:
    """``<sitemapindex>`` pointing at ``children`` (path, lastmod)."""
    body = "".join(
        f"<sitemap><loc>{escape(base_url + path)}</loc><lastmod>{_iso(mod)}</lastmod></sitemap>\n"
        for path, mod in children
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{body}</sitemapindex>\n"
    ).encode()


def urlset(base_url: str, pages: list[tuple[str, datetime]]) -> bytes:
    """A plain ``<urlset>`` of ``pages`` (path, lastmod)."""
    body = "".join(
        f"<url><loc>{escape(base_url + path)}</loc><lastmod>{_iso(mod)}</lastmod>"
        "<changefreq>never</changefreq></url>\n"
        for path, mod in pages
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{body}</urlset>\n'
    ).encode()


def gzipped(xml: bytes) -> bytes:
    # mtime=0 keeps the bytes (and so the ETag) stable between identical renders.
    return gzip.compress(xml, mtime=0)


def news(base_url: str, articles: list[Article]) -> bytes:
    """A Google News sitemap: ``news:publication_date`` and ``news:title`` per article."""
    body = "".join(
        f"<url><loc>{escape(base_url + a.path)}</loc><news:news><news:publication>"
        f"<news:name>{escape(SITE_NAME)}</news:name><news:language>{a.lang}</news:language>"
        f"</news:publication><news:publication_date>{_iso(a.published)}</news:publication_date>"
        f"<news:title>{escape(a.title)}</news:title></news:news></url>\n"
        for a in articles
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:news="{NEWS_NS}">\n{body}</urlset>\n'
    ).encode()
