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


SECTION = """<html><head><title>Economy</title></head><body>
<a href="#main">skip to content</a>
<a href="economy.html">this section again</a>
<a href="../2026/03/banks-raise-interest-rates.html">relative</a>
<a href="/2026/03/banks-raise-interest-rates.html">the same, root-relative</a>
<a href="http://news.test/2026/03/banks-raise-interest-rates.html#comments">the same, comments</a>
<a href="/opinion/why-the-rouble-keeps-falling.html" rel="nofollow">nofollow</a>
<a href="javascript:openMenu()">menu</a>
<a href=" /world/floods-hit-the-south-coast.html ">spaces</a>
<a href="/files/annual-report-2025.pdf">report</a>
<a href="/ru/рубль-снова-падает-аналитики.html">ru</a>
<a href="ftp://news.test/archive/all-the-old-stories.html">ftp</a>
<a href="https://sport.news.test/football/cup-final-tonight.html">subdomain</a>
<a href="https://www.news.test/world/floods-hit-the-south-coast.html">www</a>
<a href="https://other.test/story/elsewhere-story-here.html">offsite</a>
<a href="https://other.test/story/elsewhere-story-here.html#top">offsite again</a>
</body></html>""".encode()

SECTION_URL = "http://news.test/section/economy.html"


def test_section_page_links_are_absolute_unique_and_followable() -> None:
    offsite: list[str] = []
    links = extract_links(SECTION, SECTION_URL, "utf-8", offsite)
    assert links == [
        "http://news.test/2026/03/banks-raise-interest-rates.html",
        # rel="nofollow" is a ranking hint for search engines, not a crawl prohibition.
        "http://news.test/opinion/why-the-rouble-keeps-falling.html",
        "http://news.test/world/floods-hit-the-south-coast.html",
        # Percent-encoded, as it will be requested.
        "http://news.test/ru/%D1%80%D1%83%D0%B1%D0%BB%D1%8C-%D1%81%D0%BD%D0%BE%D0%B2%D0%B0-"
        "%D0%BF%D0%B0%D0%B4%D0%B0%D0%B5%D1%82-%D0%B0%D0%BD%D0%B0%D0%BB%D0%B8%D1%82%D0%B8%D0%BA"
        "%D0%B8.html",
        "https://www.news.test/world/floods-hit-the-south-coast.html",
    ]
    # A subdomain is another site, as is another domain; each is listed once.
    assert offsite == [
        "https://sport.news.test/football/cup-final-tonight.html",
        "https://other.test/story/elsewhere-story-here.html",
    ]


def test_a_cyrillic_slug_is_an_article_slug() -> None:
    (ru,) = [u for u in extract_links(SECTION, SECTION_URL, "utf-8") if "/ru/" in u]
    assert LinkFilter().is_article(ru)
    assert looks_like_article("http://news.test/ru/рубль-снова-падает.html")


def test_links_in_a_cp1251_page_and_base_href() -> None:
    page = (
        '<html><head><meta charset="windows-1251"><base href="http://news.test/ru/">'
        '</head><body><a href="новости-дня-сегодня.html">ru</a>'
        '<a href="/">home</a></body></html>'
    ).encode("cp1251")
    links = extract_links(page, "http://news.test/index.html")
    assert links == [
        "http://news.test/ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8-%D0%B4%D0%BD%D1%8F-"
        "%D1%81%D0%B5%D0%B3%D0%BE%D0%B4%D0%BD%D1%8F.html",
        "http://news.test/",
    ]
