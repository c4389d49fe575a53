"""Where a site lists its articles: the feeds its pages advertise and the sitemaps its
robots.txt names, for ``newsmon sources add``.

A homepage advertises feeds with ``<link rel="alternate" type="application/rss+xml" ...>``
(also Atom and JSON Feed types); robots.txt lists sitemaps on ``Sitemap:`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.urls import http_url_from

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
    "application/rdf+xml": "RDF",
    "application/xml": "XML feed",
    "text/xml": "XML feed",
}


@dataclass(frozen=True)
class Candidate:
    """A listing a site offers: ``kind`` feed or sitemap, where it was found, its title."""

    url: str
    kind: str
    found_in: str
    title: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class PageInfo:
    """What a homepage says about itself."""

    title: str | None
    site_name: str | None
    feeds: list[Candidate]


def page_info(body: bytes, base_url: str, encoding: str | None = None) -> PageInfo:
    """The page's title, ``og:site_name`` and advertised feeds, in document order."""
    if not body.strip():
        return PageInfo(None, None, [])
    parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
    try:
        doc = lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return PageInfo(None, None, [])
    base = base_url
    for href in doc.xpath("//base/@href"):
        base = http_url_from(base_url, str(href)) or base_url
        break
    feeds: list[Candidate] = []
    seen: set[str] = set()
    for link in doc.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        media = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or media not in FEED_TYPES:
            continue
        url = http_url_from(base, str(link.get("href")).strip())
        if url is None or url in seen:
            continue
        seen.add(url)
        title = (link.get("title") or "").strip() or None
        feeds.append(Candidate(url, "feed", base_url, title, FEED_TYPES[media]))
    titles = doc.xpath("//title/text()")
    title = " ".join(str(titles[0]).split()) if titles else None
    names = doc.xpath("//meta[@property='og:site_name']/@content")
    site_name = " ".join(str(names[0]).split()) if names else None
    return PageInfo(title or None, site_name or None, feeds)


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def sitemaps_in_robots(text: str, robots: str) -> list[Candidate]:
    """The ``Sitemap:`` lines of a robots.txt (absolute or relative to it)."""
    out: list[Candidate] = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            url = http_url_from(robots, value.strip()) or urljoin(robots, value.strip())
            if url not in (c.url for c in out):
                out.append(Candidate(url, "sitemap", robots))
    return out
