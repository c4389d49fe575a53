"""extract_article: page bytes -> clean article text and metadata, with trafilatura.

Pure and picklable, so it runs unchanged in the worker processes of ExtractionPool.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document
from trafilatura.utils import load_html

from crawler.extraction.decode import decode_html
from crawler.extraction.language import declared_language, guess_language

logger = logging.getLogger(__name__)

#: Bytes of a page that are parsed at most; the rest of a huge page is cut off. Real article
#: pages are well under 2 MB; a cut page still parses (lxml repairs the unclosed tags).
MAX_BODY_BYTES = 4_000_000

# htmldate keeps the time of day when the format asks for it.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_CANONICAL_XPATHS = (
    "//link[contains(concat(' ', translate(@rel,'CANOIL','canoil'), ' '), ' canonical ')]/@href",
    "//meta[@property='og:url']/@content",
    "//meta[@name='og:url']/@content",
)


@dataclass(frozen=True)
class Extracted:
    """What extraction found on one page.

    ``canonical_url`` is absolute (resolved against the page URL) but not normalized;
    ``published_at`` is timezone-aware UTC (midnight UTC when the page gives only a date);
    ``encoding`` is the Python codec used to decode the page.
    """

    text: str
    title: str | None
    author: str | None
    published_at: dt.datetime | None
    language: str | None
    site_name: str | None
    canonical_url: str | None
    encoding: str


def extract_article(
    body: bytes, url: str, http_encoding: str | None = None, *, favor_precision: bool = False
) -> Extracted | None:
    """Extract the article on a page; None when it has no article text (or is not HTML at all).

    ``http_encoding`` is the charset from the HTTP Content-Type header, if any. Never raises on
    bad input: garbage, truncated or huge pages give None or a best-effort result.
    """
    try:
        return _extract(body[:MAX_BODY_BYTES], url, http_encoding, favor_precision)
    except Exception:
        # Job boundary: one page must never take down the worker or the crawl.
        logger.exception("extraction failed for %s", url)
        return None


def _extract(
    body: bytes, url: str, http_encoding: str | None, favor_precision: bool
) -> Extracted | None:
    if not body.strip():
        return None
    html, encoding = decode_html(body, http_encoding)
    tree = load_html(html)
    if tree is None:
        return None
    doc = bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=favor_precision,
        date_extraction_params={
            "original_date": True,
            "extensive_search": True,
            "outputformat": _DATE_FORMAT,
        },
    )
    if not isinstance(doc, Document) or not doc.text or not doc.text.strip():
        return None
    text = doc.text.strip()
    return Extracted(
        text=text,
        title=_clean(doc.title),
        author=_clean(doc.author),
        published_at=_parse_date(doc.date),
        language=guess_language(text) or declared_language(tree),
        site_name=_clean(doc.sitename),
        canonical_url=_canonical_url(tree, url),
        encoding=encoding,
    )


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # A page without an offset is taken as UTC: it is the least surprising reading of a
        # bare date and keeps every stored timestamp comparable.
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _canonical_url(tree: HtmlElement, page_url: str) -> str | None:
    for xpath in _CANONICAL_XPATHS:
        for href in tree.xpath(xpath):
            href = str(href).strip()
            if not href:
                continue
            absolute = urljoin(page_url, href)
            if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
                return absolute
    return None
