"""URL normalization: one spelling per article, so that a URL is known, fetched and stored once."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from storage.urlkey import url_key

ALLOWED_SCHEMES = ("http", "https")


def normalize_url(url: str) -> str:
    """The canonical spelling of ``url`` (see :func:`storage.urlkey.url_key`, the one rule)."""
    return url_key(url)


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host: the only ones newsmon ever requests."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "Invalid IPv6 URL" for "http://["
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)


def http_url_from(base_url: str, link: str) -> str | None:
    """``link`` (as found in a feed, sitemap or page) made absolute against ``base_url``, or
    None when it is not an http(s) URL or cannot be parsed: one bad link, never a bad listing."""
    try:
        url = urljoin(base_url, link.strip())
    except ValueError:
        return None
    return url if is_http_url(url) else None
