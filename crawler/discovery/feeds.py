"""Feeds: RSS 2.0, Atom and RDF/RSS 1.0 through feedparser; JSON Feed (1.0/1.1) by hand."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import feedparser

from crawler.discovery.dates import from_struct_time, parse_date
from crawler.discovery.entry import Discovered, DiscoveryError
from crawler.urls import is_http_url

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


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
        url = urljoin(base_url, link.strip())
        if not is_http_url(url):
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


# Complaints feedparser makes about a feed that parsed fine.
_BENIGN = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
)


def _parse_xml_feed(body: bytes, base_url: str, content_type: str | None) -> list[Discovered]:
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    # feedparser only parses here: given bytes it never fetches anything.
    parsed = feedparser.parse(body, response_headers=headers)
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
        url = urljoin(base_url, str(link).strip())
        if not is_http_url(url):
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
    if problem is not None and not isinstance(problem, _BENIGN) and not out:
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
