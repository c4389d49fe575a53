"""Stop a redirect from fetching an article that is already stored.

The spider checks every discovered URL against the stored ones, but a redirect
(``/go/story`` -> ``/articles/story.html``) only reveals its target in the downloader:
the redirected request passes here, and is dropped when its target is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Self

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from crawler import stats as st

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class AlreadyStored(IgnoreRequest):
    """The redirect target is stored already; not an error."""


class KnowsUrls(Protocol):
    def is_known(self, url: str) -> bool: ...


class KnownUrlMiddleware:
    """Downloader middleware for redirected article requests; asks the spider's ``is_known``."""

    def __init__(self, stats: st.StatsSink) -> None:
        self.counter = st.Counter(stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)  # type: ignore[arg-type]

    def process_request(self, request: Request, spider: Spider) -> None:
        if not request.meta.get("redirect_urls") or request.meta.get("newsmon_role") != "article":
            return None
        is_known = getattr(spider, "is_known", None)
        if is_known is not None and is_known(request.url):
            source = request.meta.get("newsmon_source")
            self.counter.inc(st.SKIPPED_KNOWN, source)
            raise AlreadyStored(f"redirect target already stored: {request.url}")
        return None
