"""Property tests: random bytes and mutated valid documents fed to every parsing stage.

Documented outcomes only: feeds and sitemaps give entries or raise ``DiscoveryError``; pages
give an ``Extracted`` or None (and never hit the extractor's last-resort exception handler);
section pages give http(s) links; dates give None or an aware datetime; the config parser gives
a ``Config`` or raises ``ConfigError``. Example counts are modest so the suite stays fast.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.discovery import (
    DiscoveryError,
    extract_links,
    parse_date,
    parse_feed,
    parse_sitemap,
)
from crawler.extraction import Extracted, extract_article
from crawler.urls import is_http_url
from scheduler.config import Config, parse_config
from storage.exceptions import ConfigError
from tests.faults.content import FeedItem, make_article, rss, sitemap_index, urlset

BASE = "https://news.example.org/"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
ITEMS = [FeedItem(f"{BASE}a/{i}.html", f"Title {i}", NOW) for i in range(3)]

ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>t</title><entry><title>a</title><link href='/a/1.html'/>"
    b"<updated>2026-11-20T10:00:00Z</updated></entry></feed>"
)
RDF = (
    b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel>'
    b'<item rdf:about="https://news.example.org/a/2.html"><title>b</title>'
    b"<link>https://news.example.org/a/2.html</link></item></rdf:RDF>"
)
JSON_FEED = (
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": ['
    b'{"id": "1", "url": "https://news.example.org/a/3.html", "title": "c",'
    b' "date_published": "2026-11-20T10:00:00Z"}]}'
)
NEWS_SITEMAP = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
    b"<loc>https://news.example.org/a/4.html</loc><news:news><news:publication_date>"
    b"2026-11-20T10:00:00Z</news:publication_date><news:title>d</news:title></news:news>"
    b"</url></urlset>"
)
FEEDS = [rss(ITEMS), ATOM, RDF, JSON_FEED]
SITEMAPS = [
    urlset(ITEMS),
    NEWS_SITEMAP,
    sitemap_index([f"{BASE}sitemap-{i}.xml" for i in range(2)], NOW),
    gzip.compress(urlset(ITEMS)),
]
PAGE = make_article("property", 0, "/a/0.html", NOW).body.replace(b"{BASE}", BASE.encode())
PAGES = [
    PAGE,
    make_article("p", 1, "/a/1.html", NOW, encoding="koi8-r", declare=None, cyrillic=True).body,
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A valid document with a few random cuts, insertions, repeats and byte flips."""
    doc = bytearray(draw(st.sampled_from(seeds)))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 6))):
        op = rng.randrange(5)
        at = rng.randrange(len(doc) + 1)
        if op == 0:
            del doc[at : at + rng.randrange(1, 64)]
        elif op == 1:
            doc[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == 2:
            doc[at:at] = doc[at : at + rng.randrange(1, 200)] * rng.randrange(2, 5)
        elif op == 3 and doc:
            doc[min(at, len(doc) - 1)] = rng.randrange(256)
        else:
            doc[at:at] = rng.choice(
                [
                    b"&bogus;",
                    b"<![CDATA[",
                    b"<!DOCTYPE x [",
                    b"\x00",
                    b"</item>",
                    b"<item>",
                    b"&#xFFFFFFFF;",
                    b"\xff\xfe",
                ]
            )
    return bytes(doc)


def any_bytes(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2048), mutated(seeds))


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _aware_or_none(value: dt.datetime | None) -> bool:
    return value is None or (value.tzinfo is not None and value.utcoffset() is not None)


# feedparser's own notice about its updated_parsed fallback, not an error of the parse.
@pytest.mark.filterwarnings("ignore:To avoid breaking existing software:DeprecationWarning")
@FAST
@given(body=any_bytes(FEEDS), ctype=st.sampled_from([None, "application/json", "text/xml"]))
def test_feeds_give_entries_or_a_discovery_error(body: bytes, ctype: str | None) -> None:
    try:
        entries = parse_feed(body, BASE, ctype)
    except DiscoveryError:
        return
    for e in entries:
        assert is_http_url(e.url), e
        assert _aware_or_none(e.published_at), e


def test_an_unparsable_link_loses_one_entry_not_the_listing() -> None:
    """Links such as ``h://[`` make urljoin raise 'Invalid IPv6 URL' (found by the property
    test above, in a JSON Feed): that entry is skipped, the others are kept."""
    good = f"{BASE}a/1.html"
    json_feed = (
        b'{"version":"https://jsonfeed.org/version/1.1","items":['
        b'{"url":"h://["},{"url":"http://[::1"},{"url":"' + good.encode() + b'"}]}'
    )
    assert [e.url for e in parse_feed(json_feed, BASE, "application/json")] == [good]
    rss_feed = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        b"<item><link>http://[bad</link></item><item><link>/a/1.html</link></item>"
        b"</channel></rss>"
    )
    assert [e.url for e in parse_feed(rss_feed, BASE, "text/xml")] == [good]
    page = b"<html><body><a href='http://[x/'>x</a><a href='/a/1.html'>a</a></body></html>"
    assert extract_links(page, BASE) == [good]


def _check_sitemap(body: bytes) -> None:
    try:
        page = parse_sitemap(body, BASE, max_size=1_000_000)
    except DiscoveryError:
        return
    for e in [*page.entries, *page.sitemaps]:
        assert is_http_url(e.url), e
        assert _aware_or_none(e.published_at), e


@FAST
@given(body=any_bytes(SITEMAPS[:-1]))
def test_sitemaps_give_entries_or_a_discovery_error(body: bytes) -> None:
    _check_sitemap(body)


@FAST
@given(body=mutated([gzip.compress(s) for s in SITEMAPS[:-1]]))
def test_gzipped_sitemaps_give_entries_or_a_discovery_error(body: bytes) -> None:
    _check_sitemap(body)


def test_a_corrupt_gzip_sitemap_is_a_discovery_error() -> None:
    """A .xml.gz whose deflate data is broken (found by the property test above)."""
    with pytest.raises(DiscoveryError):
        parse_sitemap(b"\x1f\x8b\x08\x00" + b"\x00" * 11, BASE)


@FAST
@given(body=any_bytes(PAGES))
def test_section_pages_give_http_links(body: bytes) -> None:
    links = extract_links(body, BASE)
    assert all(is_http_url(u) for u in links)
    assert len(links) == len(set(links))


@FAST
@given(text=st.one_of(st.text(max_size=60), st.from_regex(r"20\d\d-\d\d-\d\dT[\d:.+Z-]{0,20}")))
def test_dates_are_aware_or_none(text: str) -> None:
    assert _aware_or_none(parse_date(text))


class _Errors(logging.Handler):
    """Collects ERROR records (pytest's caplog is function-scoped: wrong under @given)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@SLOW
@given(body=any_bytes(PAGES), http_encoding=st.sampled_from([None, "utf-8", "koi8-r", "bogus"]))
def test_pages_give_an_article_or_none_without_internal_errors(
    body: bytes, http_encoding: str | None
) -> None:
    errors = _Errors()
    logger = logging.getLogger("crawler")
    logger.addHandler(errors)
    try:
        result = extract_article(body, BASE + "a/0.html", http_encoding)
    finally:
        logger.removeHandler(errors)
    # extract_article swallows exceptions at its boundary and logs them: that is a crash too.
    assert not errors.records, [r.getMessage() for r in errors.records]
    if result is not None:
        assert isinstance(result, Extracted) and result.text.strip()
        assert _aware_or_none(result.published_at)


_KEYS = {
    "storage": ["url"],
    "crawl": [
        "timeout",
        "retries",
        "user_agent",
        "max_page_bytes",
        "allow_private_addresses",
        "concurrent_requests",
        "download_delay",
        "obey_robots",
    ],
    "relevance": ["threshold", "seeds_dir"],
    "dedup": ["near_threshold", "num_perm"],
    "smtp": ["host", "port", "security", "password_env"],
    "digest": ["recipients", "send_time", "timezone", "max_stories"],
    "schedule": ["crawl_interval_minutes"],
    "bogus": ["x"],
}
_VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: (
            "nan"
            if f != f
            else ("inf" if f == float("inf") else ("-inf" if f == float("-inf") else repr(f)))
        )
    ),
    st.sampled_from(
        [
            "true",
            "false",
            "[]",
            "{}",
            '""',
            "[1, 'a']",
            "{ a = 1 }",
            "'file:///etc/passwd'",
            "'http://127.0.0.1/'",
            "'https://x.example/'",
            "1979-05-27T07:32:00Z",
            "'\\u0000'",
        ]
    ),
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


@st.composite
def tomlish(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind <= 2:
            lines.append(f"[{draw(st.sampled_from(list(_KEYS)))}]")
        elif kind == 3:
            lines.append("[[sources]]")
            for key in ("name", "url", "kind"):
                if draw(st.booleans()):
                    lines.append(f"{key} = {draw(_VALUES)}")
        elif kind <= 8:
            section = draw(st.sampled_from(list(_KEYS)))
            lines.append(f"{draw(st.sampled_from(_KEYS[section]))} = {draw(_VALUES)}")
        else:
            lines.append(draw(st.text(max_size=30)))
    return "\n".join(lines) + "\n"


@FAST
@given(text=st.one_of(tomlish(), st.text(max_size=200)))
def test_config_text_gives_a_config_or_a_config_error(text: str) -> None:
    try:
        cfg = parse_config(text, None)
    except ConfigError as exc:
        assert str(exc)
        return
    assert isinstance(cfg, Config)
    assert all(s.url.startswith(("http://", "https://")) for s in cfg.sources)


# Regression tests for the failures the properties above found, one input each.


def test_a_feed_with_out_of_range_character_references_still_parses() -> None:
    body = rss(ITEMS).replace(b"<title>Title 0</title>", b"<title>&#xAAAAAAAA;</title>")
    try:
        entries = parse_feed(body, BASE)
    except DiscoveryError:
        return
    assert {e.url for e in entries} >= {i.url for i in ITEMS[1:]}


def test_a_sitemap_with_one_unparsable_loc_keeps_the_others() -> None:
    body = urlset(ITEMS).replace(b"<url>", b"<url><loc>http://[broken/x</loc></url><url>", 1)
    page = parse_sitemap(body, BASE)
    assert {e.url for e in page.entries} == {i.url for i in ITEMS}


def test_a_page_with_an_unparsable_canonical_link_is_still_an_article() -> None:
    body = re.sub(
        rb'rel="canonical" href="[^"]*"', b'rel="canonical" href="http://[broken/x"', PAGE
    )
    assert b"http://[broken" in body
    result = extract_article(body, BASE + "a/0.html")
    assert result is not None and "Reference code" in result.text
    assert result.canonical_url is None


def test_a_key_spelled_like_an_error_location_is_still_a_config_error() -> None:
    """The schema's errors are reworded from msgspec's "... - at `$.key`"; a key whose own name
    looks like that gets msgspec's words, not a traceback."""
    for text in ('"x - at `$.crawl.timeout`" = 1\n', '[crawl]\n"x - at `$.y" = 1\n'):
        with pytest.raises(ConfigError, match="unknown"):
            parse_config(text, None)
