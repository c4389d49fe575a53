"""Sitemap parsing: urlset, index, gzip, Google News, and hostile XML."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from crawler.discovery import DiscoveryError, parse_sitemap

BASE = "http://news.test/sitemap.xml"

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://news.test/articles/a-first-story.html</loc><lastmod>2026-03-01</lastmod></url>
<url><loc> http://news.test/articles/b-second-story.html </loc></url>
<url><lastmod>2026-03-01</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://news.test/sitemaps/articles.xml</loc><lastmod>2026-03-02T10:00:00+00:00</lastmod></sitemap>
<sitemap><loc>/sitemaps/archive.xml.gz</loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://news.test/articles/news-story.html</loc>
<lastmod>2020-01-01</lastmod>
<news:news><news:publication><news:name>T</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-03-05T06:00:00+03:00</news:publication_date>
<news:title>Generals arrested</news:title></news:news></url>
</urlset>"""


def test_urlset() -> None:
    page = parse_sitemap(URLSET, BASE)
    assert page.sitemaps == []
    assert [e.url for e in page.entries] == [
        "http://news.test/articles/a-first-story.html",
        "http://news.test/articles/b-second-story.html",
    ]
    assert page.entries[0].published_at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert page.entries[1].published_at is None


def test_index_lists_child_sitemaps() -> None:
    page = parse_sitemap(INDEX, BASE)
    assert page.entries == []
    assert [s.url for s in page.sitemaps] == [
        "http://news.test/sitemaps/articles.xml",
        "http://news.test/sitemaps/archive.xml.gz",
    ]
    assert page.sitemaps[0].published_at == dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def test_gzip_sitemap() -> None:
    page = parse_sitemap(gzip.compress(URLSET), "http://news.test/sitemaps/archive.xml.gz")
    assert len(page.entries) == 2


def test_gzip_bomb_is_refused() -> None:
    big = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(DiscoveryError):
        parse_sitemap(big, BASE, max_size=100_000)


def test_google_news_date_and_title_win() -> None:
    (entry,) = parse_sitemap(NEWS, BASE).entries
    assert entry.title == "Generals arrested"
    assert entry.published_at == dt.datetime(2026, 3, 5, 3, 0, tzinfo=dt.UTC)


def test_entities_are_not_expanded() -> None:
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://news.test/articles/x-y-z.html&xxe;</loc></url></urlset>"""
    page = parse_sitemap(evil, BASE)
    assert all("root:" not in e.url for e in page.entries)


@pytest.mark.parametrize("body", [b"", b"<html><body>hi</body></html>", b"\x1f\x8bnot gzip"])
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, BASE)
