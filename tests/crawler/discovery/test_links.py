"""Section-page link discovery: allow/deny patterns and the article heuristic."""

from __future__ import annotations

import pytest

from crawler.discovery import LinkFilter, extract_links, looks_like_article

PAGE = """<html><head><title>Politics</title></head><body>
<a href="/articles/kremlin-reshuffle-deepens.html">one</a>
<a href="/articles/kremlin-reshuffle-deepens.html#comments">same</a>
<a href="http://news.test/2026/03/short">dated</a>
<a href="/section/economy.html">section</a>
<a href="/tag/putin">tag</a>
<a href="https://other.test/articles/elsewhere-story-here.html">offsite</a>
<a href="mailto:desk@news.test">mail</a>
<a href="/private/secret-story-page.html">private</a>
<a href="/img/photo-of-the-day.jpg">img</a>
<a href="javascript:void(0)">js</a>
<a href="/ru/привет-мир-новости.html">ru</a>
</body></html>""".encode()

BASE = "http://news.test/section/politics.html"


def test_extract_links_same_site_absolute_unique() -> None:
    links = extract_links(PAGE, BASE, "utf-8")
    assert links[0] == "http://news.test/articles/kremlin-reshuffle-deepens.html"
    assert links.count(links[0]) == 1
    assert not any("other.test" in u or u.startswith("mailto") for u in links)
    assert "http://news.test/section/economy.html" in links


def test_heuristic_picks_articles() -> None:
    articles = [u for u in extract_links(PAGE, BASE, "utf-8") if LinkFilter().is_article(u)]
    assert "http://news.test/articles/kremlin-reshuffle-deepens.html" in articles
    assert "http://news.test/2026/03/short" in articles
    assert "http://news.test/section/economy.html" not in articles
    assert "http://news.test/tag/putin" not in articles
    assert "http://news.test/img/photo-of-the-day.jpg" not in articles


def test_allow_and_deny() -> None:
    f = LinkFilter(allow=(r"/articles/", r"/private/"), deny=(r"/private/",))
    links = extract_links(PAGE, BASE, "utf-8")
    assert [u for u in links if f.is_article(u)] == [
        "http://news.test/articles/kremlin-reshuffle-deepens.html"
    ]
    assert not f.accepts("http://news.test/private/x")
    assert LinkFilter().accepts("http://news.test/whatever")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://n.test/world/2026/03/04/coup-rumours", True),
        ("http://n.test/news/1234567", True),
        ("http://n.test/index.html", False),
        ("http://n.test/", False),
        ("http://n.test/category/russia-and-the-world-news", False),
        ("http://n.test/about", False),
    ],
)
def test_looks_like_article(url: str, expected: bool) -> None:
    assert looks_like_article(url) is expected


def test_empty_page() -> None:
    assert extract_links(b"", BASE) == []
