"""Feed parsing on inline samples of every kind newsmon reads."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crawler.discovery import DiscoveryError, parse_feed

BASE = "http://news.test/feeds/x"

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title>
<item><title>Kremlin purge widens</title><link>http://news.test/articles/purge.html</link>
<pubDate>Tue, 03 Mar 2026 10:00:00 +0300</pubDate></item>
<item><title>No link</title></item>
<item><title>Relative</title><link>/articles/relative-one.html</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id>
<updated>2026-03-03T10:00:00Z</updated>
<entry><title>Atom story</title><id>urn:1</id>
<link rel="alternate" href="http://news.test/articles/atom-story.html"/>
<published>2026-03-02T08:30:00Z</published><updated>2026-03-03T08:30:00Z</updated></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://news.test/"><title>T</title><link>http://news.test/</link>
<items><rdf:Seq><rdf:li rdf:resource="http://news.test/articles/rdf-story.html"/></rdf:Seq></items>
</channel>
<item rdf:about="http://news.test/articles/rdf-story.html"><title>RDF story</title>
<link>http://news.test/articles/rdf-story.html</link><dc:date>2026-03-01T12:00:00+00:00</dc:date></item>
</rdf:RDF>"""


def test_rss2_entries_dates_and_relative_links() -> None:
    entries = parse_feed(RSS2, BASE, "application/rss+xml")
    assert [e.url for e in entries] == [
        "http://news.test/articles/purge.html",
        "http://news.test/articles/relative-one.html",
    ]
    assert entries[0].title == "Kremlin purge widens"
    assert entries[0].published_at == dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    assert entries[1].published_at is None


def test_atom_prefers_published_date() -> None:
    (entry,) = parse_feed(ATOM, BASE)
    assert entry.url == "http://news.test/articles/atom-story.html"
    assert entry.published_at == dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


def test_rdf_rss1() -> None:
    (entry,) = parse_feed(RDF, BASE)
    assert entry.url == "http://news.test/articles/rdf-story.html"
    assert entry.title == "RDF story"
    assert entry.published_at == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_json_feed() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "items": [
                {
                    "id": "1",
                    "url": "http://news.test/articles/json-one.html",
                    "title": "One",
                    "date_published": "2026-03-04T09:00:00Z",
                },
                {"id": "2", "external_url": "/articles/json-two.html"},
                {"id": "3", "url": "ftp://news.test/nope"},
                {"id": "4"},
            ],
        }
    ).encode()
    entries = parse_feed(body, BASE, "application/feed+json")
    assert [e.url for e in entries] == [
        "http://news.test/articles/json-one.html",
        "http://news.test/articles/json-two.html",
    ]
    assert entries[0].published_at == dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "body",
    [b"<html><body>not a feed</body></html>", b"<rss><channel><item>", b'{"items": 3}', b""],
)
def test_garbage_is_a_discovery_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(body, BASE)


def test_non_http_links_are_dropped() -> None:
    body = RSS2.replace(b"http://news.test/articles/purge.html", b"javascript:alert(1)")
    assert [e.url for e in parse_feed(body, BASE)] == [
        "http://news.test/articles/relative-one.html"
    ]


def test_empty_feed_is_not_an_error() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    assert parse_feed(empty, BASE) == []
    assert parse_feed(empty, BASE, "application/rss+xml") == []
