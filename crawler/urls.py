"""URL normalization: one spelling per article, so that a URL is known, fetched and stored once."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url as _courlan_normalize

ALLOWED_SCHEMES = ("http", "https")


def normalize_url(url: str) -> str:
    """The canonical spelling of ``url``.

    courlan lower-cases scheme and host, drops the default port, sorts the query and strips
    tracking parameters (``utm_*``, ``fbclid``, ...); the fragment is dropped here because it
    never names a different article. A URL that cannot be parsed is returned stripped.
    """
    url = url.strip()
    try:
        normalized = _courlan_normalize(url)
    except ValueError:
        return url
    parts = urlsplit(normalized)
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


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
