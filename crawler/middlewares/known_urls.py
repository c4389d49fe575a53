"""Stop a redirect from fetching an article that is already stored.

The spider checks every discovered URL against the stored ones, but a redirect
(``/go/story`` -> ``/articles/story.html``) only reveals its target in the downloader:
the redirected request passes here, and is dropped when its target is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from crawler import stats as st
from crawler.state import crawl_state

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class AlreadyStored(IgnoreRequest):
    """The redirect target is stored already; not an error."""


class KnownUrlMiddleware:
    """Downloader middleware for redirected article requests; asks ``is_known`` (the crawl's
    known-URL check, :attr:`crawler.state.CrawlState.is_known`)."""

    def __init__(self, stats: st.StatsSink, is_known: Callable[[str], bool]) -> None:
        self.counter = st.Counter(stats)
        self.is_known = is_known

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = crawl_state(crawler, "KnownUrlMiddleware")
        return cls(crawler.stats, state.is_known)  # type: ignore[arg-type]

    def process_request(self, request: Request, spider: Spider) -> None:
        if not request.meta.get("redirect_urls") or request.meta.get("newsmon_role") != "article":
            return None
        if self.is_known(request.url):
            source = request.meta.get("newsmon_source")
            self.counter.inc(st.SKIPPED_KNOWN, source)
            raise AlreadyStored(f"redirect target already stored: {request.url}")
        return None
