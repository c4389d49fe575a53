"""Text from an HTML document for scoring: the article extractor, else plain lxml text."""

from __future__ import annotations

from lxml import html as lxml_html


def html_to_text(body: bytes, url: str = "") -> tuple[str | None, str]:
    """(title, text) of an HTML page.

    Uses :func:`crawler.extraction.extract_article` (trafilatura, with careful decoding); when
    it finds no article, falls back to the visible text of the page as lxml sees it.
    """
    from crawler.extraction import extract_article  # heavy import, only when HTML is scored

    extracted = extract_article(body, url or "file:///page.html")
    if extracted is not None and extracted.text.strip():
        return extracted.title, extracted.text
    return _lxml_text(body)


def _lxml_text(body: bytes) -> tuple[str | None, str]:
    if not body.strip():
        return None, ""
    doc = lxml_html.fromstring(body)
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    titles = doc.xpath("//title/text()")
    title = str(titles[0]).strip() if titles else None
    text = "\n".join(t.strip() for t in doc.itertext() if t.strip())
    return title, text


def looks_like_html(data: bytes) -> bool:
    """True when the start of ``data`` looks like an HTML document."""
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head
