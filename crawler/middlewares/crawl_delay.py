"""Honour robots.txt ``Crawl-delay``, which Scrapy reads but does not apply.

Scrapy's RobotsTxtMiddleware fetches robots.txt through the downloader, so its response
passes this middleware's ``process_response``: the delay is read there with Protego. Every
later request to that host waits for its turn, spaced at least the delay apart. The wait
happens here rather than in the download slot because AutoThrottle rewrites slot delays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request, Spider
from scrapy.http import Response

from crawler import stats as st

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

MAX_CRAWL_DELAY = 60.0  # a site asking for more still gets crawled, just this slowly


class CrawlDelayMiddleware:
    """Downloader middleware; must sit after RobotsTxtMiddleware (priority > 100)."""

    def __init__(
        self,
        user_agent: str,
        stats: st.StatsSink,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_agent = user_agent
        self.stats = stats
        self.clock = clock
        self.delays: dict[str, float] = {}  # netloc -> seconds
        self._next: dict[str, float] = {}  # netloc -> earliest clock() for the next request

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ua = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        return cls(str(ua), crawler.stats)  # type: ignore[arg-type]

    def record_robots(self, netloc: str, body: bytes) -> float | None:
        """Parse robots.txt ``body`` and remember its Crawl-delay for ``netloc``."""
        parser = Protego.parse(body.decode("utf-8", errors="replace"))
        delay = parser.crawl_delay(self.user_agent)
        if delay is None:
            delay = parser.crawl_delay("*")
        if delay is None or delay <= 0:
            return None
        seconds = min(float(delay), MAX_CRAWL_DELAY)
        self.delays[netloc] = seconds
        self.stats.set_value(st.key(st.CRAWL_DELAY), seconds)
        logger.info("%s asks for Crawl-delay %.2fs; honoured", netloc, seconds)
        return seconds

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        parts = urlsplit(request.url)
        if (
            request.meta.get("dont_obey_robotstxt")
            and parts.path == "/robots.txt"
            and response.status == 200
        ):
            self.record_robots(parts.netloc, response.body)
        return response

    def reserve(self, netloc: str) -> float:
        """Seconds to wait before a request to ``netloc`` may go (and book that turn)."""
        delay = self.delays.get(netloc)
        if not delay:
            return 0.0
        now = self.clock()
        turn = max(now, self._next.get(netloc, now))
        self._next[netloc] = turn + delay
        return turn - now

    async def process_request(self, request: Request, spider: Spider) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return None  # robots.txt itself
        wait = self.reserve(urlsplit(request.url).netloc)
        if wait > 0:
            await asyncio.sleep(wait)
        return None
