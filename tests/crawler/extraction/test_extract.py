"""extract_article on pages we wrote: the text, metadata and decoding a reader would check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.extraction import Extracted, extract_article
from crawler.extraction.extract import MAX_BODY_BYTES

PAGES = Path(__file__).parent / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def extract(
    name: str, url: str = "https://news.example.test/a/1", http_encoding: str | None = None
) -> Extracted:
    result = extract_article(page(name), url, http_encoding)
    assert result is not None, f"no article found in {name}"
    return result


def test_english_article_keeps_body_and_drops_boilerplate() -> None:
    ex = extract("english_article.html")
    assert "Five regional governors were dismissed on Friday" in ex.text
    assert "routine rotation of personnel" in ex.text
    assert "allocation of regional budgets" in ex.text
    for boilerplate in ("Subscribe to our newsletter", "All rights reserved", "Weather warning"):
        assert boilerplate not in ex.text


def test_english_article_metadata() -> None:
    ex = extract("english_article.html")
    assert ex.title == "Regional governors replaced in sweeping reshuffle"
    assert ex.author == "Maria Ostrova"
    assert ex.site_name == "The Northern Ledger"
    assert ex.language == "en"
    assert ex.encoding == "utf_8"
    # 09:30 at +03:00 is 06:30 UTC, and the value is aware.
    assert ex.published_at == dt.datetime(2026, 3, 14, 6, 30, tzinfo=dt.UTC)
    assert ex.published_at is not None and ex.published_at.utcoffset() == dt.timedelta(0)


def test_windows_1251_page_is_decoded_from_its_meta_declaration() -> None:
    ex = extract("cyrillic_windows1251.html")
    assert ex.encoding == "cp1251"
    assert "Председатель правительства провёл в понедельник совещание" in ex.text
    assert ex.title == "Совещание с руководителями банков"
    assert ex.author == "Иван Петров"
    assert ex.language == "ru"
    assert ex.published_at == dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC)


def test_http_charset_wins_over_meta_when_plausible() -> None:
    # The server's header and the page agree here; a wrong Latin-1 header is not plausible
    # for Cyrillic bytes and loses to the page's own declaration.
    assert extract("cyrillic_windows1251.html", http_encoding="windows-1251").encoding == "cp1251"
    ex = extract("cyrillic_windows1251.html", http_encoding="iso-8859-1")
    assert ex.encoding == "cp1251"
    assert "совещание" in ex.text


@pytest.mark.parametrize("drop_declaration", [False, True])
def test_koi8r_page_with_wrong_or_missing_declaration(drop_declaration: bool) -> None:
    body = page("cyrillic_koi8r_mislabelled.html")
    if drop_declaration:
        body = body.replace(b'<meta charset="windows-1251">', b"")
    ex = extract_article(body, "https://news.example.test/ru/1")
    assert ex is not None
    assert ex.encoding == "koi8_r"
    assert "Жители северного посёлка третий день остаются без электричества" in ex.text
    assert ex.title == "Посёлок без света после снегопада"
    assert "\ufffd" not in ex.text


def test_canonical_link_is_resolved_against_the_page_url() -> None:
    ex = extract("canonical.html", url="https://www.example-port-news.test/x?utm_source=feed")
    assert (
        ex.canonical_url
        == "https://www.example-port-news.test/news/2026/harbour-expansion-approved"
    )


def test_og_url_is_used_when_there_is_no_canonical_link() -> None:
    body = page("canonical.html").replace(b'rel="canonical"', b'rel="alternate"')
    ex = extract_article(body, "https://www.example-port-news.test/x")
    assert ex is not None
    assert ex.canonical_url == "https://www.example-port-news.test/og/harbour-expansion"


def test_page_without_canonical_has_none() -> None:
    assert extract("english_article.html").canonical_url is None


def test_page_without_article_gives_none() -> None:
    assert extract_article(page("no_article.html"), "https://news.example.test/") is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        bytes(range(256)) * 40,
        b"\x00" * 5000,
        b"<html><body><p>unterminated <b><i>" * 50,
        b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",
        b'<?xml version="1.0" encoding="utf-8"?><rss><channel></channel></rss>',
    ],
    ids=["empty", "blank", "all-bytes", "nul", "broken-tags", "utf16-bom", "xml"],
)
def test_garbage_never_raises(body: bytes) -> None:
    result = extract_article(body, "https://news.example.test/garbage")
    assert result is None or isinstance(result, Extracted)


@pytest.mark.parametrize("chunk", [b"<script>", b"<script", b"<style>x", b"<svg "])
def test_pathological_markup_gives_no_article(chunk: bytes) -> None:
    # Unclosed scripts, styles and SVG fill the page: no article text, and none of the markup
    # taken for one. How long a page may take is crawl.extract_timeout's business (tested in
    # tests/e2e/test_extract_timeout.py), not a wall-clock bound here that load would break.
    body = b"<html><body>" + chunk * (MAX_BODY_BYTES // len(chunk))
    result = extract_article(body, "https://news.example.test/pathological")
    assert result is None or not any(tag in result.text for tag in ("<script", "<style", "<svg"))


def test_script_text_never_reaches_the_article() -> None:
    body = page("english_article.html").replace(
        b"<p>The outgoing", b"<script>var tracking = 'pixel-ping';</script><p>The outgoing"
    )
    ex = extract_article(body, "https://news.example.test/a")
    assert ex is not None
    assert "The outgoing governors had all served" in ex.text
    assert "pixel-ping" not in ex.text


def test_huge_page_is_cut_at_the_cap_and_still_extracted() -> None:
    filler = b"<div class='ad'>" + b"x" * 1000 + b"</div>"
    body = page("english_article.html").replace(
        b"</article>", b"</article>" + filler * (MAX_BODY_BYTES // len(filler) + 10)
    )
    assert len(body) > MAX_BODY_BYTES
    ex = extract_article(body, "https://news.example.test/huge")
    assert ex is not None
    assert "Five regional governors were dismissed" in ex.text
