"""Sitemaps: an index, a urlset, a gzipped archive with an old article, a Google News map."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from scheduler.demosite import NewsSite
from tests.demosite.demosite_support import fetch

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def _lastmods(root: ET.Element) -> dict[str, datetime]:
    return {
        u.findtext(f"{SM}loc", ""): datetime.fromisoformat(u.findtext(f"{SM}lastmod", ""))
        for u in root
    }


def test_robots_points_at_the_index_which_lists_both_children(site: NewsSite) -> None:
    robots = fetch(site.url("/robots.txt")).body.decode()
    assert f"Sitemap: {site.url('/sitemap.xml')}" in robots
    root = ET.fromstring(fetch(site.url("/sitemap.xml")).body)
    assert root.tag == f"{SM}sitemapindex"
    assert set(_lastmods(root)) == {
        site.url("/sitemaps/articles.xml"),
        site.url("/sitemaps/archive.xml.gz"),
    }


def test_gzipped_archive_holds_an_article_older_than_thirty_days(site: NewsSite) -> None:
    resp = fetch(site.url("/sitemaps/archive.xml.gz"))
    root = ET.fromstring(gzip.decompress(resp.body))
    mods = _lastmods(root)
    assert root.tag == f"{SM}urlset"
    old = [u for u, mod in mods.items() if datetime.now(UTC) - mod > timedelta(days=30)]
    assert old == [site.url("/articles/old-minister-resigns-after-scandal.html")]
    assert fetch(old[0]).status == 200
    recent = _lastmods(ET.fromstring(fetch(site.url("/sitemaps/articles.xml")).body))
    assert not set(recent) & set(mods), "the two urlsets do not overlap"
    assert all(datetime.now(UTC) - mod <= timedelta(days=3) for mod in recent.values())


def test_news_sitemap_has_publication_date_and_title(site: NewsSite) -> None:
    root = ET.fromstring(fetch(site.url("/sitemaps/news.xml")).body)
    urls = list(root)
    assert len(urls) >= 10
    for url in urls:
        news = url.find(f"{NEWS}news")
        assert news is not None
        published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date", ""))
        assert datetime.now(UTC) - published <= timedelta(days=2)
        assert news.findtext(f"{NEWS}title")
    titles = [u.findtext(f"{NEWS}news/{NEWS}title") for u in urls]
    assert "Чистка в генералитете: Кремль проверяет лояльность армии" in titles
    assert not any("/private/" in (u.findtext(f"{SM}loc") or "") for u in urls)
