"""Meta-refresh redirects are followed, read from the head of the page only."""

from __future__ import annotations

from scrapy import Spider
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings

from crawler.middlewares.meta_refresh import HEAD_BYTES, HeadMetaRefreshMiddleware

BIG_TEXT = "<p>Новости дня, длинный абзац статьи.</p>" * 2000  # well over HEAD_BYTES


def respond(head: str, body: str = BIG_TEXT) -> tuple[Request, HtmlResponse, object]:
    mw = HeadMetaRefreshMiddleware(Settings())
    spider = Spider("s")
    req = Request("http://news.test/old.html")
    page = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    resp = HtmlResponse(req.url, body=page.encode(), request=req)
    return req, resp, mw.process_response(req, resp, spider)


def test_a_big_page_with_a_meta_refresh_is_redirected() -> None:
    _, _, out = respond('<meta http-equiv="refresh" content="0; url=/new.html">')
    assert isinstance(out, Request)
    assert out.url == "http://news.test/new.html"


def test_a_big_page_without_one_comes_through_whole_and_undecoded() -> None:
    _, resp, out = respond("<title>Статья</title>")
    assert out is resp
    assert len(resp.body) > HEAD_BYTES
    assert out.body.endswith(b"</html>")
    # The point of the middleware: the page is not decoded in the crawl process.
    assert getattr(resp, "_cached_ubody", None) is None


def test_a_small_page_with_a_meta_refresh_is_redirected() -> None:
    _, _, out = respond('<meta http-equiv="refresh" content="0; url=/new.html">', body="x")
    assert isinstance(out, Request)


def test_a_page_without_the_word_is_not_even_guessed_at() -> None:
    # No charset anywhere: reading the head would mean a statistical guess of its encoding.
    mw = HeadMetaRefreshMiddleware(Settings())
    req = Request("http://news.test/a.html")
    resp = HtmlResponse(req.url, body=("<p>Статья</p>" * 10).encode("cp1251"), request=req)
    assert mw.process_response(req, resp, Spider("s")) is resp
    assert getattr(resp, "_cached_benc", None) is None


def test_a_utf16_page_with_a_meta_refresh_is_still_redirected() -> None:
    mw = HeadMetaRefreshMiddleware(Settings())
    req = Request("http://news.test/old.html")
    page = '<html><head><meta http-equiv="refresh" content="0; url=/new.html"></head></html>'
    resp = HtmlResponse(req.url, body=page.encode("utf-16"), request=req)
    out = mw.process_response(req, resp, Spider("s"))
    assert isinstance(out, Request)
    assert out.url == "http://news.test/new.html"


def test_a_head_that_only_mentions_refresh_does_not_decode_the_whole_page() -> None:
    # No charset declared: the whole page's encoding would be a guess over every byte of it.
    mw = HeadMetaRefreshMiddleware(Settings())
    req = Request("http://news.test/a.html")
    head = "<html><head><script>var autoRefresh = 0;</script></head><body>"
    resp = HtmlResponse(req.url, body=(head + BIG_TEXT).encode("utf-8"), request=req)
    assert mw.process_response(req, resp, Spider("s")) is resp
    assert getattr(resp, "_cached_benc", None) is None
    assert getattr(resp, "_cached_ubody", None) is None
