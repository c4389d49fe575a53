"""Article, section, syndicated and Cyrillic pages; robots.txt; redirects and fault pages."""

from __future__ import annotations

import re

from scheduler.demosite import NewsSite
from tests.demosite.demosite_support import fetch


def test_article_page_has_metadata_and_boilerplate(site: NewsSite) -> None:
    url = site.url("/articles/governor-arrested-in-dawn-raid.html")
    html = fetch(url).body.decode()
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Governor arrested in dawn raid' in html
    assert re.search(r'article:published_time" content="\d{4}-\d\d-\d\dT[\d:]+Z"', html)
    assert '<meta name="author" content="Daniel Okafor">' in html
    for boilerplate in ("cookie-banner", "main-nav", "More on this story", "site-footer"):
        assert boilerplate in html
    assert html.count("<p>") >= 8


def test_windows_1251_page_decodes_as_cyrillic(site: NewsSite) -> None:
    resp = fetch(site.url("/ru/chistka-v-generalitete.html"))
    assert resp.headers["Content-Type"] == "text/html; charset=windows-1251"
    text = resp.body.decode("windows-1251")
    assert "<title>Чистка в генералитете: Кремль проверяет лояльность армии" in text
    assert 'charset="windows-1251"' in text or "charset=windows-1251" in text
    assert "Владимир Путин" in text
    assert "Путин".encode("windows-1251") in resp.body
    assert "Путин".encode() not in resp.body


def test_koi8r_page_declares_its_charset_only_in_html(site: NewsSite) -> None:
    resp = fetch(site.url("/ru/borba-za-preemnika.html"))
    assert resp.headers["Content-Type"] == "text/html"
    assert b'content="text/html; charset=koi8-r"' in resp.body
    text = resp.body.decode("koi8-r")
    assert "Борьба за преемника" in text
    assert "Путин".encode("koi8-r") in resp.body


def test_syndicated_copy_differs_in_boilerplate_and_a_few_words(site: NewsSite) -> None:
    original = fetch(site.url("/articles/kremlin-purge-reaches-general-staff.html")).body.decode()
    copy_url = site.url("/syndicated/baltic-wire-kremlin-purge-general-staff.html")
    copy = fetch(copy_url).body.decode()
    assert f'<link rel="canonical" href="{copy_url}">' in copy
    assert "Baltic Wire Service" in copy and "cookie-banner" not in copy

    def words(html: str) -> list[str]:
        paras = re.findall(r"<p>(.*?)</p>", html, flags=re.S)
        return " ".join(p for p in paras if len(p) > 120).split()

    a, b = words(original), words(copy)
    shingles_a = {tuple(a[i : i + 5]) for i in range(len(a) - 4)}
    shingles_b = {tuple(b[i : i + 5]) for i in range(len(b) - 4)}
    jaccard = len(shingles_a & shingles_b) / len(shingles_a | shingles_b)
    assert a != b
    assert 0.8 < jaccard < 1.0


def test_section_page_links_articles_private_pages_and_navigation(site: NewsSite) -> None:
    html = fetch(site.url("/section/politics.html")).body.decode()
    links = set(re.findall(r'href="([^"]+)"', html))
    assert "/articles/kremlin-purge-reaches-general-staff.html" in links
    assert "/private/purged-colonel-speaks-from-exile.html" in links
    assert "/ru/borba-za-preemnika.html" in links
    assert {"/about.html", "/section/sport.html", "/tag/kremlin.html"} <= links
    assert not any("/articles/harbour-city" in link for link in links)


def test_robots_disallows_private_with_the_configured_crawl_delay(site: NewsSite) -> None:
    robots = fetch(site.url("/robots.txt")).body.decode()
    assert "Disallow: /private/" in robots
    assert "Crawl-delay: 0.3" in robots
    assert fetch(site.url("/private/purged-colonel-speaks-from-exile.html")).status == 200


def test_redirect_and_fault_pages(site: NewsSite) -> None:
    go = fetch(site.url("/go/succession-question-returns-to-moscow"))
    assert go.status == 301
    target = site.url("/articles/succession-question-returns-to-moscow.html")
    assert go.headers["Location"] == target
    assert fetch(go.headers["Location"]).status == 200
    assert fetch(site.url("/gone.html")).status == 404
    assert fetch(site.url("/error.html")).status == 500
    assert fetch(site.url("/articles/no-such-story.html")).status == 404


def test_tracking_parameters_serve_the_same_article(site: NewsSite) -> None:
    plain = site.url("/articles/kremlin-purge-reaches-general-staff.html")
    tracked = fetch(plain + "?utm_source=newsletter&utm_medium=feed")
    assert tracked.status == 200
    assert f'<link rel="canonical" href="{plain}">' in tracked.body.decode()
