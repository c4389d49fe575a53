"""Section pages: the links worth following, by allow/deny patterns or an article heuristic.

Collecting the links is Scrapy's ``LinkExtractor``: it parses the page, honours ``<base href>``,
makes links absolute and percent-encodes them as Scrapy will request them, keeps http(s) only,
drops links to files that are no page (images, media, archives, office documents, by
extension) and removes repeats. Kept hand-written on top of it:

* which links are the page's own site: the host without ``www.``, exactly. ``allow_domains``
  is not used, because it also admits every subdomain and drops the other links silently,
  where the crawl counts them (skipped_offsite) and ``newsmon sources preview`` lists them;
* dropping the ``#fragment`` (it never names another page) and the repeats that leaves;
* which links are articles: :func:`looks_like_article`, a heuristic on the URL's shape (a slug
  of several words, Latin or not, a long numeric id or a /YYYY/MM/ date, and no listing word),
  or a source's own allow/deny patterns (:class:`LinkFilter`). No library knows what a news
  site's article URL looks like.

``rel="nofollow"`` links are followed: nofollow is a ranking hint for search engines, not a
crawl prohibition (robots.txt is, and the crawl obeys it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urldefrag, urlsplit

from scrapy.http import HtmlResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor

from crawler.urls import is_http_url

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
    # Links come percent-encoded from the extractor: the slug's words are judged decoded.
    path = unquote(urlsplit(url).path)
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


_EXTRACTOR = LinkExtractor(
    tags=("a",),
    attrs=("href",),
    canonicalize=False,  # the URL as written; the store normalizes it once (storage.urlkey)
    unique=True,
    deny_extensions=IGNORED_EXTENSIONS,
)


def extract_links(
    body: bytes, base_url: str, encoding: str | None = None, offsite: list[str] | None = None
) -> list[str]:
    """Absolute http(s) links of an HTML page on the page's own site, in document order,
    without fragments, repeats or links to the page itself. ``<base href>`` is honoured. Links
    to other sites are left out (and appended to ``offsite`` when given, once each)."""
    if not body.strip():
        return []
    try:
        response = HtmlResponse(url=base_url, body=body, encoding=encoding)
    except (TypeError, ValueError):  # a base URL that is no URL: no links, not a crash
        return []
    host = urlsplit(base_url).hostname or ""
    # The page itself ("#top", "#comments", a self-link) is not a page to find.
    seen = {urldefrag(response.url)[0]}
    out: list[str] = []
    for link in _EXTRACTOR.extract_links(response):
        if not is_http_url(link.url):  # the extractor also keeps file: and ftp: links
            continue
        url = urldefrag(link.url)[0]
        if url in seen:
            continue
        seen.add(url)
        if _same_site(host, urlsplit(url).hostname or ""):
            out.append(url)
        elif offsite is not None:
            offsite.append(url)
    return out
