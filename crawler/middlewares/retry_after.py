"""Honour Retry-After on 429 and 503 answers instead of retrying at once.

Scrapy's RetryMiddleware retries 429/503 immediately, which is exactly what a rate-limited
server asked us not to do. This middleware sits just outside it (its ``process_response``
runs first) and, when such an answer carries Retry-After, waits that long without blocking
the reactor (an awaited timer; other downloads go on) and then returns Scrapy's own retry
request (same retry budget and stats). A Retry-After over the cap gives up on the URL for this
run: the answer then fails as an HTTP error of its source, and is counted and logged once.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Awaitable, Callable
from typing import Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

from crawler import stats as st
from crawler.middlewares.quiet import RETRY_LOGGER

logger = logging.getLogger(__name__)

RETRY_AFTER_CODES = frozenset({429, 503})
DEFAULT_MAX_DELAY = 60.0
RETRY_AFTER_WAITED = "retry_after/waited"  # retries that waited for Retry-After
RETRY_AFTER_TOO_LONG = "retry_after/too_long"  # Retry-After over the cap: URL given up


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when
    absent or unparsable. A date in the past means 0."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max((when - now).total_seconds(), 0.0)


async def reactor_sleep(seconds: float) -> None:
    """Wait without blocking the reactor."""
    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))  # type: ignore[arg-type]


class RetryAfterMiddleware:
    """Downloader middleware; place it after RetryMiddleware (550) in priority order."""

    def __init__(
        self,
        stats: st.StatsSink,
        max_delay: float = DEFAULT_MAX_DELAY,
        sleep: Callable[[float], Awaitable[None]] = reactor_sleep,
    ) -> None:
        self.counter = st.Counter(stats)
        self.max_delay = max_delay
        self.sleep = sleep

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        assert crawler.stats is not None
        max_delay = crawler.settings.getfloat("NEWSMON_RETRY_AFTER_MAX", DEFAULT_MAX_DELAY)
        return cls(crawler.stats, max_delay)  # type: ignore[arg-type]

    async def process_response(
        self, request: Request, response: Response, spider: Spider
    ) -> Request | Response:
        if response.status not in RETRY_AFTER_CODES or request.meta.get("dont_retry"):
            return response
        raw = response.headers.get("Retry-After")
        delay = parse_retry_after(raw.decode("latin-1") if raw else None)
        if delay is None:
            return response  # RetryMiddleware retries it as usual
        source = request.meta.get("newsmon_source")
        if delay > self.max_delay:
            # Not this run: the answer goes on to fail as an HTTP error of its source.
            request.meta["dont_retry"] = True
            self.counter.inc(RETRY_AFTER_TOO_LONG, source)
            logger.warning(
                "%s: HTTP %d asks to retry after %.0f s (over %.0f s): giving up on %s",
                source,
                response.status,
                delay,
                self.max_delay,
                request.url,
            )
            return response
        retry = get_retry_request(
            request,
            spider=spider,
            reason=f"{response.status} with Retry-After",
            logger=RETRY_LOGGER,
        )
        if retry is None:
            return response  # retries used up; RetryMiddleware gives up too
        self.counter.inc(RETRY_AFTER_WAITED, source)
        await self.sleep(delay)
        return retry
