"""Section pages: the links worth following, by allow/deny patterns or an article heuristic."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

import lxml.html
from lxml import etree

from crawler.urls import http_url_from

# Path segments that name listings, not stories.
_LISTING_WORDS = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "section",
        "sections",
        "topic",
        "topics",
        "author",
        "authors",
        "page",
        "search",
        "login",
        "logout",
        "signin",
        "signup",
        "register",
        "subscribe",
        "account",
        "about",
        "contact",
        "privacy",
        "terms",
        "rss",
        "feed",
        "feeds",
        "sitemap",
        "archive",
        "archives",
        "video",
        "videos",
        "photo",
        "photos",
        "gallery",
        "live",
    }
)
_NON_HTML = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|json|xml|rss|pdf|zip|gz|mp3|mp4|avi|mov|woff2?)$",
    re.IGNORECASE,
)
_DATE_IN_PATH = re.compile(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])(?:/|$)")
_LONG_NUMBER = re.compile(r"\d{5,}")


def looks_like_article(url: str) -> bool:
    """Heuristic for article URLs on news sites.

    An article path has a slug of several hyphenated words, a long numeric id or a
    /YYYY/MM/ date, and its first segment is not a listing word (tag, category, author...).
    """
    parts = urlsplit(url)
    path = parts.path
    if _NON_HTML.search(path):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    if segments[0].lower() in _LISTING_WORDS or segments[-1].lower() in _LISTING_WORDS:
        return False
    last = re.sub(r"\.s?html?$", "", segments[-1], flags=re.IGNORECASE)
    if last.lower() in ("index", "default", "home"):
        return False
    words = [w for w in re.split(r"[-_]", last) if w]
    return len(words) >= 3 or bool(_LONG_NUMBER.search(path)) or bool(_DATE_IN_PATH.search(path))


@dataclass(frozen=True)
class LinkFilter:
    """A source's allow/deny regexes (searched in the whole URL); deny wins.

    With no allow patterns, :func:`looks_like_article` decides what is an article.
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    _allow: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _deny: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allow", tuple(re.compile(p) for p in self.allow))
        object.__setattr__(self, "_deny", tuple(re.compile(p) for p in self.deny))

    def denied(self, url: str) -> bool:
        return any(p.search(url) for p in self._deny)

    def is_article(self, url: str) -> bool:
        """An article link: not denied, and allowed (or article-like when no allow list)."""
        if self.denied(url):
            return False
        if self._allow:
            return any(p.search(url) for p in self._allow)
        return looks_like_article(url)

    def accepts(self, url: str) -> bool:
        """For feed and sitemap entries, which are articles already: only the patterns count."""
        if self.denied(url):
            return False
        return not self._allow or any(p.search(url) for p in self._allow)


def _same_site(host: str, other: str) -> bool:
    return host.lower().removeprefix("www.") == other.lower().removeprefix("www.")


def extract_links(
    body: bytes, base_url: str, encoding: str | None = None, offsite: list[str] | None = None
) -> list[str]:
    """Absolute http(s) links of an HTML page on the page's own site, in document order,
    without fragments or repeats. ``<base href>`` is honoured. Links to other sites are
    left out (and appended to ``offsite`` when given, once each)."""
    if not body.strip():
        return []
    parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
    try:
        doc = lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for href in doc.xpath("//base/@href"):
        base = http_url_from(base_url, str(href)) or base_url
        break
    host = urlsplit(base_url).hostname or ""
    seen: set[str] = set()
    out: list[str] = []
    for href in doc.xpath("//a/@href"):
        raw = str(href).strip()
        if not raw or raw.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        joined = http_url_from(base, raw)
        if joined is None:
            continue
        url = urldefrag(joined)[0]
        if not _same_site(host, urlsplit(url).hostname or ""):
            if offsite is not None and url not in seen:
                seen.add(url)
                offsite.append(url)
            continue
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out
