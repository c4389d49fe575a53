"""Feeds: RSS 2.0, Atom and RDF/RSS 1.0 through feedparser; JSON Feed (1.0/1.1) by hand."""

from __future__ import annotations

import json
import re
from typing import Any

from crawler.discovery.dates import from_struct_time, parse_date
from crawler.discovery.entry import Discovered, DiscoveryError
from crawler.urls import http_url_from

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
# Numeric character references; feedparser calls chr() on them and raises ValueError or
# OverflowError beyond U+10FFFF, losing the whole feed for one bad title.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_MAX_CODE_POINT = 0x10FFFF


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(body: bytes, base_url: str) -> list[Discovered]:
    try:
        data: Any = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiscoveryError(f"not a JSON Feed: {exc}") from exc
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(JSON_FEED_PREFIX):
        raise DiscoveryError("not a JSON Feed: no jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise DiscoveryError("JSON Feed without an items array")
    out: list[Discovered] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if not isinstance(link, str) or not link.strip():
            continue
        url = http_url_from(base_url, link)
        if url is None:
            continue
        title = item.get("title")
        date = item.get("date_published") or item.get("date_modified")
        out.append(
            Discovered(
                url=url,
                title=title.strip() or None if isinstance(title, str) else None,
                published_at=parse_date(date) if isinstance(date, str) else None,
            )
        )
    return out


def _benign(problem: BaseException) -> bool:
    """A complaint feedparser makes about a feed that parsed fine."""
    import feedparser

    return isinstance(problem, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, dec_digits = match.group(1), match.group(2)
    digits = (hex_digits or dec_digits).lstrip(b"0")
    if len(digits) > 8:  # beyond Unicode, and int() refuses very long decimal strings
        return b"&#xFFFD;"
    value = int(hex_digits, 16) if hex_digits else int(dec_digits)
    return match.group(0) if value <= _MAX_CODE_POINT else b"&#xFFFD;"


def _replace_out_of_range_refs(body: bytes) -> bytes:
    """Turn character references beyond Unicode into U+FFFD, keeping the rest of the feed."""
    return _CHAR_REF.sub(_fix_char_ref, body)


def _parse_xml_feed(body: bytes, base_url: str, content_type: str | None) -> list[Discovered]:
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    # feedparser only parses here: given bytes it never fetches anything. Imported here, not
    # at the top: a crawl of sitemaps alone, or one that gets 304s, never pays its import.
    import feedparser

    try:
        parsed = feedparser.parse(_replace_out_of_range_refs(body), response_headers=headers)
    except (ValueError, OverflowError) as exc:  # a reference in an encoding the regex missed
        raise DiscoveryError(f"unreadable feed: {exc}") from exc
    out: list[Discovered] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            # Atom entries may carry only rel=alternate links in ``links``.
            for candidate in entry.get("links", []):
                if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                    link = candidate["href"]
                    break
        if not link:
            continue
        url = http_url_from(base_url, str(link))
        if url is None:
            continue
        published = from_struct_time(entry.get("published_parsed")) or from_struct_time(
            entry.get("updated_parsed")
        )
        title = entry.get("title")
        out.append(
            Discovered(
                url=url, title=str(title).strip() or None if title else None, published_at=published
            )
        )
    # A broken feed that still gave links is used; one that gave none is an error.
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and not _benign(problem) and not out:
        raise DiscoveryError(f"unreadable feed: {problem}")
    if not parsed.get("version") and not out:
        raise DiscoveryError("not a feed (no RSS, Atom or RDF root element)")
    return out


def parse_feed(body: bytes, base_url: str, content_type: str | None = None) -> list[Discovered]:
    """Article URLs of a feed, in feed order, with title and date hints.

    Raises :class:`DiscoveryError` when the body is not a feed at all; a feed with a few
    bad entries still yields the good ones.
    """
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, base_url)
    return _parse_xml_feed(body, base_url, content_type)
