"""The server itself: request log, conditional GET, publishing more, content, running by hand."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from datetime import UTC, datetime

import pytest

from scheduler.demosite import NewsSite
from scheduler.demosite.content import load_articles
from tests.demosite.demosite_support import fetch

CONDITIONAL = [
    "/feeds/rss.xml",
    "/feeds/atom.xml",
    "/feeds/rdf.xml",
    "/feeds/feed.json",
    "/sitemap.xml",
    "/sitemaps/articles.xml",
    "/sitemaps/archive.xml.gz",
    "/sitemaps/news.xml",
]


def test_request_log_records_method_path_headers_and_status(site: NewsSite) -> None:
    fetch(site.url("/feeds/rss.xml?x=1"), {"User-Agent": "newsmon-test/1"})
    fetch(site.url("/gone.html"))
    fetch(site.url("/go/governor-arrested-in-dawn-raid"))
    log = site.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/feeds/rss.xml?x=1", 200),
        ("GET", "/gone.html", 404),
        ("GET", "/go/governor-arrested-in-dawn-raid", 301),
    ]
    assert log[0].headers["User-Agent"] == "newsmon-test/1"
    log.clear()
    assert len(site.requests) == 3, "requests returns a copy"
    site.clear_requests()
    assert site.requests == []


@pytest.mark.parametrize("path", CONDITIONAL)
def test_conditional_get_answers_304(site: NewsSite, path: str) -> None:
    first = fetch(site.url(path))
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = fetch(site.url(path), {"If-None-Match": etag})
    by_date = fetch(site.url(path), {"If-Modified-Since": modified})
    stale = fetch(site.url(path), {"If-None-Match": '"old"', "If-Modified-Since": modified})
    assert (first.status, by_etag.status, by_date.status, stale.status) == (200, 304, 304, 200)
    assert by_etag.body == b"" and by_etag.headers["ETag"] == etag


def test_publish_more_releases_batches_into_feeds_sitemaps_and_section(site: NewsSite) -> None:
    before = {p: fetch(site.url(p)) for p in ("/feeds/rss.xml", "/sitemaps/articles.xml")}
    held = site.url("/articles/officials-flee-after-deputy-minister-arrest.html")
    assert fetch(held).status == 404, "held-back articles are not published yet"

    fresh = site.publish_more()

    assert held in fresh and len(fresh) == 2
    assert all(fetch(u).status == 200 for u in fresh)
    sitemap = fetch(site.url("/sitemaps/articles.xml")).body.decode()
    news = fetch(site.url("/sitemaps/news.xml")).body.decode()
    assert all(u in sitemap and u in news for u in fresh)
    assert "/articles/officials-flee" in fetch(site.url("/section/politics.html")).body.decode()
    for path, old in before.items():
        again = fetch(site.url(path), {"If-None-Match": old.headers["ETag"]})
        assert again.status == 200 and again.headers["ETag"] != old.headers["ETag"]
        by_date = fetch(site.url(path), {"If-Modified-Since": old.headers["Last-Modified"]})
        assert by_date.status == 200
    second = site.publish_more()
    assert len(second) == 2 and not set(second) & set(fresh)
    assert site.publish_more() == []


def test_content_is_big_enough_and_labelled() -> None:
    articles, syndicated = load_articles(datetime.now(UTC))
    topics = [a.topic for a in articles]
    assert len(articles) >= 30
    assert topics.count("on") >= 12 and topics.count("near") >= 8 and topics.count("off") >= 10
    assert {a.encoding for a in articles} == {"utf-8", "windows-1251", "koi8-r"}
    assert all(250 <= a.words <= 600 for a in articles), [
        (a.slug, a.words) for a in articles if not 250 <= a.words <= 600
    ]
    assert len({a.slug for a in articles}) == len(articles)
    assert [s.of for s in syndicated] == ["kremlin-purge-reaches-general-staff"]


def test_module_runs_by_hand_and_prints_the_base_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.demosite", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base + "/robots.txt", timeout=10) as resp:
            assert b"Disallow: /private/" in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
