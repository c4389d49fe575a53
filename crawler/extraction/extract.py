"""extract_article: page bytes -> clean article text and metadata, with trafilatura.

Pure and picklable, so it runs unchanged in the worker processes of ExtractionPool.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import warnings
from urllib.parse import urljoin, urlsplit

from dateutil.parser import UnknownTimezoneWarning
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document
from trafilatura.utils import load_html

from crawler.extraction import (
    dateparse,
    element_lookup,
    json_ld,
    plain_xpath,
    readability_skip,
    stoplist,
    unused_metadata,
)
from crawler.extraction.decode import decode_html
from crawler.extraction.language import declared_language, guess_language
from crawler.extraction.page_language import page_language
from crawler.extraction.result import Extracted

logger = logging.getLogger(__name__)

#: Bytes of a page that are parsed at most; the rest of a huge page is cut off. Real article
#: pages are well under 2 MB; a cut page still parses (lxml repairs the unclosed tags).
MAX_BODY_BYTES = 4_000_000

#: Below these sizes trafilatura's output is a menu or a caption, not an article.
MIN_TEXT_CHARS = 100
MIN_LINE_CHARS = 40

# htmldate keeps the time of day when the format asks for it.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# Inline scripts, styles and SVG are most of a modern page's bytes and none of its article;
# dropping them before parsing cuts a worker's peak memory by about 20 MB on the corpus with
# identical text and metadata. JSON-LD stays: trafilatura reads authors and dates from it.
_BLOCK_OPEN = re.compile(r"<(script|style|svg)\b([^<>]{0,2000})>", re.IGNORECASE)
_BLOCK_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style", "svg")
}
_CANONICAL_XPATHS = (
    "//link[contains(concat(' ', translate(@rel,'CANOIL','canoil'), ' '), ' canonical ')]/@href",
    "//meta[@property='og:url']/@content",
    "//meta[@name='og:url']/@content",
)

dateparse.install()
element_lookup.install()
stoplist.install()
unused_metadata.install()
json_ld.install()
plain_xpath.install()
readability_skip.install()


def extract_article(
    body: bytes,
    url: str,
    http_encoding: str | None = None,
    *,
    favor_precision: bool = False,
    favor_recall: bool = False,
) -> Extracted | None:
    """Extract the article on a page; None when it has no article text (or is not HTML at all).

    ``http_encoding`` is the charset from the HTTP Content-Type header, if any. Never raises on
    bad input: garbage, truncated or huge pages give None or a best-effort result. The
    ``favor_*`` switches select trafilatura's other modes (for benchmarks).
    """
    try:
        return _extract(body[:MAX_BODY_BYTES], url, http_encoding, favor_precision, favor_recall)
    except Exception:
        # Job boundary: one page must never take down the worker or the crawl.
        logger.exception("extraction failed for %s", url)
        return None


def _extract(
    body: bytes, url: str, http_encoding: str | None, favor_precision: bool, favor_recall: bool
) -> Extracted | None:
    if not body.strip():
        return None
    html, encoding = decode_html(body, http_encoding)
    tree = load_html(_strip_blocks(html))
    if tree is None:
        return None
    declared = declared_language(tree)
    hint = functools.partial(_page_language, tree, declared)
    with warnings.catch_warnings(), page_language(hint):
        # dateutil warns about time-zone names it cannot place ("EST"); the date is still
        # usable, and a warning turned into an error (as under pytest) must not lose a page.
        warnings.simplefilter("ignore", UnknownTimezoneWarning)
        doc = _run_trafilatura(tree, url, favor_precision, favor_recall)
    if not isinstance(doc, Document) or not doc.text or not doc.text.strip():
        return None
    text = doc.text.strip()
    if not _looks_like_article(text):
        return None
    return Extracted(
        text=text,
        title=_clean(doc.title),
        author=_clean(doc.author),
        published_at=_parse_date(doc.date),
        language=guess_language(text) or declared,
        site_name=_clean(doc.sitename),
        canonical_url=_canonical_url(tree, url),
        encoding=encoding,
    )


def _run_trafilatura(
    tree: HtmlElement, url: str, favor_precision: bool, favor_recall: bool
) -> Document | dict[str, object] | None:
    # Default (balanced) mode and extensive date search measured best on the corpus
    # (tests/benchmarks/bench_extraction.py --compare): F1 0.946 vs 0.944 precision / 0.942 recall.
    return bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=favor_precision,
        favor_recall=favor_recall,
        date_extraction_params={
            "original_date": True,
            "extensive_search": True,
            "outputformat": _DATE_FORMAT,
        },
    )


def _strip_blocks(html: str) -> str:
    """``html`` without script (except JSON-LD), style and svg elements; linear time."""
    parts, pos = [], 0
    while (opening := _BLOCK_OPEN.search(html, pos)) is not None:
        name = opening.group(1).lower()
        if name == "script" and "ld+json" in opening.group(2).lower():
            parts.append(html[pos : opening.end()])
            pos = opening.end()
            continue
        closing = _BLOCK_CLOSE[name].search(html, opening.end())
        if closing is None:  # unclosed: leave the rest to the parser
            break
        parts.append(html[pos : opening.start()])
        pos = closing.end()
    parts.append(html[pos:])
    return "".join(parts)


def _page_language(tree: HtmlElement, declared: str | None) -> str | None:
    """The declared language, else a guess from the page's text: for its dates and stop words."""
    if declared is not None:
        return declared
    body = tree.find("body")
    return guess_language(" ".join((tree if body is None else body).itertext())[:5000])


def _looks_like_article(text: str) -> bool:
    """Not a menu: enough text, and at least one line that reads like a sentence.

    Measured against the corpus: the shortest real article body there has about 300
    characters (Japanese), while trafilatura's output for a navigation page is a few short
    link labels.
    """
    return len(text) >= MIN_TEXT_CHARS and max(map(len, text.splitlines())) >= MIN_LINE_CHARS


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
            try:
                absolute = urljoin(page_url, href)
                parts = urlsplit(absolute)
            except ValueError:  # e.g. 'Invalid IPv6 URL': ignore it, keep the article
                continue
            if parts.scheme in ("http", "https") and parts.netloc:
                return absolute
    return None
