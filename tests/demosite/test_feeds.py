"""The demo site's feeds parse as what they claim to be and split the articles with overlap."""

from __future__ import annotations

import gzip
import json

import feedparser
import pytest

from scheduler.demosite import NewsSite
from tests.demosite.demosite_support import fetch


@pytest.mark.parametrize(
    ("path", "version"),
    [("/feeds/rss.xml", "rss20"), ("/feeds/atom.xml", "atom10"), ("/feeds/rdf.xml", "rss10")],
)
def test_xml_feeds_parse_with_feedparser(site: NewsSite, path: str, version: str) -> None:
    resp = fetch(site.url(path))
    parsed = feedparser.parse(resp.body)
    assert resp.status == 200
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert len(parsed.entries) >= 5
    for entry in parsed.entries:
        assert entry.link.startswith(site.base_url)
        assert entry.title
        assert entry.get("published_parsed") or entry.get("updated_parsed")


def test_json_feed_is_valid_json_feed_1_1(site: NewsSite) -> None:
    resp = fetch(site.url("/feeds/feed.json"))
    doc = json.loads(resp.body)
    assert resp.headers["Content-Type"].startswith("application/feed+json")
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert len(doc["items"]) >= 5
    assert all(item["url"].startswith(site.base_url) for item in doc["items"])
    assert all(item["date_published"].endswith("Z") for item in doc["items"])


def _links(site: NewsSite) -> dict[str, set[str]]:
    out = {}
    for path in ("/feeds/rss.xml", "/feeds/atom.xml", "/feeds/rdf.xml"):
        out[path] = {e.link for e in feedparser.parse(fetch(site.url(path)).body).entries}
    doc = json.loads(fetch(site.url("/feeds/feed.json")).body)
    out["/feeds/feed.json"] = {item["url"] for item in doc["items"]}
    return out


def test_feeds_overlap_and_carry_the_awkward_links(site: NewsSite) -> None:
    links = _links(site)
    rss, atom = links["/feeds/rss.xml"], links["/feeds/atom.xml"]
    assert rss & atom, "some articles should appear in two feeds"
    everything = set().union(*links.values())
    assert site.url("/gone.html") in rss
    assert site.url("/error.html") in rss
    assert any("/go/" in u for u in everything), "a feed links through a redirect"
    assert any("/syndicated/" in u for u in atom), "the syndicated copy is in the Atom feed"
    tracked = [u for u in links["/feeds/feed.json"] if "utm_source=" in u]
    assert len(tracked) == 1
    # ...and the same article without the tracking parameters is in another feed.
    assert tracked[0].split("?")[0] in rss | atom
    assert not any("/private/" in u for u in everything)


def test_sitemaps_list_every_public_article(site: NewsSite) -> None:
    recent = fetch(site.url("/sitemaps/articles.xml")).body.decode()
    archive = gzip.decompress(fetch(site.url("/sitemaps/archive.xml.gz")).body).decode()
    for art in site.catalog.visible():
        listed = f"<loc>{site.url(art.path)}</loc>" in recent + archive
        assert listed != art.private, art.slug
