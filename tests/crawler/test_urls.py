"""URL normalization: the one spelling used for known-URL checks and canonical URLs."""

from __future__ import annotations

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
