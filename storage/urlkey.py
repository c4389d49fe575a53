"""The normalized spelling of a URL: the key under which an article's URLs are stored once."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url as _courlan_normalize


def url_key(url: str) -> str:
    """The canonical spelling of ``url``.

    courlan lower-cases scheme and host, drops the default port, sorts the query and strips
    tracking parameters (``utm_*``, ``fbclid``, ...); the fragment is dropped here because it
    never names a different article. A URL that cannot be parsed is returned stripped.
    Computed once, when an article is stored (``url_keys``) or a URL is requested.
    """
    url = url.strip()
    try:
        normalized = _courlan_normalize(url)
    except ValueError:
        return url
    parts = urlsplit(normalized)
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
