"""Stop a redirect from fetching an article that is already stored.

The spider checks every discovered URL against the stored ones, but a redirect
(``/go/story`` -> ``/articles/story.html``) only reveals its target in the downloader:
the redirected request passes here, and is dropped when its target is known.
"""

from __future__ import annotations

from typing import Protocol

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from crawler import stats as st


class AlreadyStored(IgnoreRequest):
    """The redirect target is stored already; not an error."""


class KnowsUrls(Protocol):
    def is_known(self, url: str) -> bool: ...


class KnownUrlMiddleware:
    """Downloader middleware for redirected article requests."""

    def process_request(self, request: Request, spider: Spider) -> None:
        if not request.meta.get("redirect_urls") or request.meta.get("newsmon_role") != "article":
            return None
        is_known = getattr(spider, "is_known", None)
        if is_known is not None and is_known(request.url):
            source = request.meta.get("newsmon_source")
            st.Counter(spider.crawler.stats).inc(st.SKIPPED_KNOWN, source)  # type: ignore[arg-type]
            raise AlreadyStored(f"redirect target already stored: {request.url}")
        return None
