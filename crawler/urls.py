"""URL normalization: one spelling per article, so that a URL is known, fetched and stored once."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

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
    parts = urlsplit(url)
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)
