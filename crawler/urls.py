"""URL normalization: one spelling per article, so that a URL is known, fetched and stored once.

The spelling is courlan's (``courlan.normalize_url`` with its defaults; courlan is pinned in
pyproject.toml), computed here without importing courlan: its package loads urllib3, babel and
tld (about 25 ms of every crawl's start-up) for the few lines used from it.
tests/crawler/test_urls.py checks that both give the same spelling.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = ("http", "https")

# courlan's pattern (courlan/clean.py, Apache-2.0): query parameters that only track visits.
_TRACKERS = re.compile(
    r"^(?:dc|fbc|gc|twc|yc|ysc)lid|"
    r"^(?:click|gbra|msclk|igsh|partner|wbra)id|"
    r"^(?:ads?|mc|ga|gs|itm|mc|mkt|ml|mtm|oly|pk|utm|vero)_|"
    r"(?:\b|_)(?:aff|affi|affiliate|campaign|cl?id|eid|ga|gl|"
    r"kwd|keyword|medium|ref|referr?er|session|source|uid|xtor)"
)
_DEFAULT_PORT = re.compile(r"(?<=\w):(?:80|443)")
_SLASHES = re.compile(r"/+")
_LEADING_PARENT_DIRS = re.compile(r"^(?:/\.\.(?![^/]))+")


def _decode_label(label: str) -> str:
    """A punycode (``xn--``) label decoded; any other label, or an invalid one, unchanged."""
    if label.startswith("xn--"):
        try:
            return label.encode("utf8").decode("idna")
        except UnicodeError:
            pass
    return label


def _decode_punycode(host: str) -> str:
    if "xn--" not in host:
        return host
    return ".".join(_decode_label(label) for label in host.split("."))


def _clean_query(query: str) -> str:
    """Parameters sorted by name, tracking ones dropped, blank ones dropped."""
    if not query:
        return ""
    params = parse_qs(query)
    kept = {name: params[name] for name in sorted(params) if not _TRACKERS.search(name.lower())}
    return urlencode(kept, doseq=True)


def _courlan_spelling(url: str) -> str:
    """What ``courlan.normalize_url(url)`` returns, without its fragment."""
    parts = urlsplit(unescape(url))
    scheme = parts.scheme.lower()
    netloc = _decode_punycode(parts.netloc.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    if (scheme == "http" and port == 80) or (scheme == "https" and port == 443):
        netloc = _DEFAULT_PORT.sub("", netloc)
    path = quote(_LEADING_PARENT_DIRS.sub("", _SLASHES.sub("/", parts.path)), safe="/%!=:,-")
    query = _clean_query(parts.query)
    if query and not path:
        path = "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def normalize_url(url: str) -> str:
    """The canonical spelling of ``url``.

    Scheme and host lower-cased (punycode decoded), the default port dropped, repeated
    slashes and leading ``/..`` removed from the path, the query sorted and stripped of
    tracking parameters (``utm_*``, ``fbclid``, ...); the fragment is dropped because it
    never names a different article. A URL that cannot be parsed is returned stripped.
    """
    url = url.strip()
    try:
        normalized = _courlan_spelling(url)
    except ValueError:
        return url
    parts = urlsplit(normalized)
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def is_http_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host: the only ones newsmon ever requests."""
    parts = urlsplit(url)
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)
