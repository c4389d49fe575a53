"""Sitemaps: urlset, sitemap index, gzip-compressed files and Google News sitemaps.

Parsed with lxml with entity resolution and network access off (no XXE, no billion laughs).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from lxml import etree
from scrapy.utils.gz import gunzip

from crawler.discovery.dates import parse_date
from crawler.discovery.entry import Discovered, DiscoveryError
from crawler.urls import http_url_from

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SitemapPage:
    """One parsed sitemap file: article entries (urlset) or child sitemaps (index)."""

    entries: list[Discovered] = field(default_factory=list)
    sitemaps: list[Discovered] = field(default_factory=list)


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: etree._Element, *path: str) -> str | None:
    """Text of the first descendant following ``path`` by local names, namespace-blind."""
    current = [elem]
    for name in path:
        current = [c for parent in current for c in parent if _local(c.tag) == name]
        if not current:
            return None
    text = current[0].text
    return text.strip() if text and text.strip() else None


def parse_sitemap(body: bytes, base_url: str, max_size: int = 50_000_000) -> SitemapPage:
    """Entries of a sitemap; ``.gz`` bodies are decompressed (at most ``max_size`` bytes).

    For Google News sitemaps, ``news:publication_date`` wins over ``lastmod`` and
    ``news:title`` is kept as the title hint.
    """
    if body[:2] == GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise DiscoveryError(f"bad gzip sitemap: {exc}") from exc
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, remove_comments=True
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"unreadable sitemap XML: {exc}") from exc
    if root is None:
        raise DiscoveryError("empty sitemap")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError(f"not a sitemap (root element <{kind}>)")
    child = "url" if kind == "urlset" else "sitemap"
    found: list[Discovered] = []
    for elem in root:
        if _local(elem.tag) != child:
            continue
        loc = _child_text(elem, "loc")
        if not loc:
            continue
        url = http_url_from(base_url, loc)  # None for one bad entry, not a bad sitemap
        if url is None:
            continue
        published = parse_date(_child_text(elem, "news", "publication_date")) or parse_date(
            _child_text(elem, "lastmod")
        )
        found.append(
            Discovered(url=url, title=_child_text(elem, "news", "title"), published_at=published)
        )
    if kind == "urlset":
        return SitemapPage(entries=found)
    return SitemapPage(sitemaps=found)
