"""URL normalization: the one spelling used for known-URL checks and canonical URLs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import courlan
import courlan.clean
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import urls
from crawler.urls import is_http_url, normalize_url


def test_tracking_params_case_port_fragment() -> None:
    assert (
        normalize_url("HTTP://News.TEST:80/a/b.html?utm_source=rss&id=3&utm_medium=x#top")
        == "http://news.test/a/b.html?id=3"
    )
    assert normalize_url("https://news.test:443") == "https://news.test/"


def test_utm_variant_equals_plain() -> None:
    plain = "http://127.0.0.1:8123/articles/story.html"
    assert normalize_url(plain + "?utm_campaign=feed") == normalize_url(plain) == plain


def test_is_http_url() -> None:
    assert is_http_url("https://a.test/x")
    assert not is_http_url("file:///etc/passwd")
    assert not is_http_url("ftp://a.test/x")
    assert not is_http_url("/relative")


# -- the same spelling as courlan's, which crawler.urls computes without importing courlan --


def courlan_spelling(url: str) -> str:
    """What normalize_url returned when it called courlan (the reference)."""
    url = url.strip()
    try:
        normalized = courlan.normalize_url(url)
    except ValueError:
        return url
    parts = urlsplit(normalized)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def test_patterns_are_courlans() -> None:
    assert urls._TRACKERS.pattern == courlan.clean.TRACKERS_RE.pattern
    assert urls._DEFAULT_PORT.pattern == courlan.clean.NETLOC_RE.pattern
    assert urls._SLASHES.pattern == courlan.clean.PATH1.pattern
    assert urls._LEADING_PARENT_DIRS.pattern == courlan.clean.PATH2.pattern


EXAMPLES = [
    "HTTP://News.TEST:80/a/b.html?utm_source=rss&id=3&utm_medium=x#top",
    "https://news.test:443",
    "https://news.test:8443/x",
    "http://news.test:443/x",
    "http://news.test:80x/x",
    "http://news.test:99999/x",
    "http://user:pw@News.Test:80/x",
    "http://[::1]:80/x",
    "http://[::1/x",
    "https://xn--mnchen-3ya.de/Stra%C3%9Fe/",
    "https://xn--invalid-.de/",
    "http://news.test//a///b/../c/./d?",
    "http://news.test/../../a",
    "http://news.test/..a",
    "http://news.test/ä ö/€?q=ü&q=1&fbclid=x&ref=y&z=",
    "http://news.test/a?b=1&amp;c=2&a=3",
    "http://news.test/a?ArtNr=335614",
    "http://news.test?x=1",
    "http://news.test/a#x=1&utm_source=y",
    "  http://news.test/a  ",
    "/relative/path?utm_source=x",
    "mailto:someone@example.org",
    "",
    "#only",
    "http://news.test/a;params?x",
]


def test_examples_are_spelled_as_courlan_does() -> None:
    for url in EXAMPLES:
        assert normalize_url(url) == courlan_spelling(url), url


# Pieces of URLs, plain and troublesome (percent signs, punycode, brackets, entities, spaces).
_PLAIN = ["a", "B", "0", "-", ".", "..", "/", "//", "~", "+", ";", ":", "@", "=", "&", "?", "#"]
_ODD = ["%", "%2F", "ä", "€", " ", "\t", "\\", "&amp;", "xn--", "xn--mnchen-3ya", "[", "]"]
_PARTS = st.sampled_from(_PLAIN + _ODD)
_NAMES = ["id", "utm_source", "UTM_Medium", "fbclid", "ref", "page", "lang", "ArtNr", "session_id"]
_PARAMS = st.sampled_from([*_NAMES, "x", "q", "", "a b"])


@st.composite
def urls_like_listings_give(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https", "ftp", ""]))
    suffix = "".join(draw(st.lists(_PARTS.filter(lambda p: p not in "/?#"), max_size=4)))
    host = (
        draw(st.sampled_from(["news.test", "News.Test", "127.0.0.1", "xn--mnchen-3ya.de"])) + suffix
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0", ":x", ":080"]))
    path = "".join(draw(st.lists(_PARTS, max_size=8)))
    params = draw(
        st.lists(st.tuples(_PARAMS, st.sampled_from(["1", "", "x y", "ü", "a&b"])), max_size=4)
    )
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#top", "#a=1&b=2", "#utm_source=x"]))
    prefix = f"{scheme}://" if scheme else draw(st.sampled_from(["", "//"]))
    return f"{prefix}{host}{port}/{path}" + (f"?{query}" if query else "") + fragment


@settings(max_examples=500, deadline=None)
@given(urls_like_listings_give())
def test_generated_urls_are_spelled_as_courlan_does(url: str) -> None:
    assert normalize_url(url) == courlan_spelling(url)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_spelled_as_courlan_does(text: str) -> None:
    assert normalize_url(text) == courlan_spelling(text)
