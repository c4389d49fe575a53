"""Downloader middleware: every request of a fleet process waits for its host's turn.

Asks :class:`~crawler.fleet.limiter.HostLimiter` (shared through Redis) before the request
goes to Scrapy's downloader, and gives the turn's lease back when the response (or a
failure) comes. The delay asked for is the larger of ``download_delay`` and the host's
robots.txt Crawl-delay as read by :class:`~crawler.middlewares.crawl_delay.CrawlDelayMiddleware`
(which runs before this one). If Redis cannot be reached the request waits the delay
locally and goes on: politeness holds within the process, and the crawl does not stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from scrapy import Request, Spider
from scrapy.http import Response

from crawler import stats as st
from crawler.fleet.keys import FleetKeys
from crawler.fleet.limiter import HostLimiter
from crawler.fleet.setup import connect
from crawler.middlewares.crawl_delay import CrawlDelayMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

TOKEN_META = "newsmon_fleet_turn"
WAITED = "fleet/politeness_waits"


class FleetPolitenessMiddleware:
    def __init__(
        self, limiter: HostLimiter, delay: float, concurrency: int, stats: st.StatsSink
    ) -> None:
        self.limiter = limiter
        self.delay = delay
        self.concurrency = concurrency
        self.stats = stats
        self.crawl_delays: dict[str, float] = {}
        self._warned = False
        self._local_next: dict[str, float] = {}  # host -> monotonic time (Redis down)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        limiter = HostLimiter(
            connect(s.get("NEWSMON_FLEET_URL")),
            FleetKeys(s.get("NEWSMON_FLEET_PREFIX")),
            lease=s.getfloat("NEWSMON_FLEET_LEASE"),
        )
        mw = cls(
            limiter,
            s.getfloat("NEWSMON_FLEET_DELAY"),
            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            crawler.stats,  # type: ignore[arg-type]
        )
        mw._crawler = crawler
        return mw

    _crawler: Crawler | None = None

    def _crawl_delay(self, host: str) -> float:
        crawler = self._crawler
        if crawler is not None and crawler.engine is not None:
            for mw in crawler.engine.downloader.middleware.middlewares:
                if isinstance(mw, CrawlDelayMiddleware):
                    return mw.delays.get(host, 0.0)
        return self.crawl_delays.get(host, 0.0)

    async def process_request(self, request: Request, spider: Spider) -> None:
        host = urlsplit(request.url).hostname or ""
        delay = max(self.delay, self._crawl_delay(host))
        token = HostLimiter.new_token()
        while True:
            try:
                wait = self.limiter.acquire(host, delay, self.concurrency, token)
            except RedisError as exc:
                if not self._warned:
                    logger.warning("fleet limiter unreachable (%s): spacing locally", exc)
                    self._warned = True
                await self._local_turn(host, delay)
                return None
            self._warned = False
            if wait <= 0:
                break
            self.stats.inc_value(st.key(WAITED))
            await asyncio.sleep(wait)
        request.meta[TOKEN_META] = (host, token, delay)
        return None

    async def _local_turn(self, host: str, delay: float) -> None:
        """Without Redis: this process alone spaces its requests to ``host`` (turns are
        handed out in order, each ``delay`` after the previous one)."""
        now = time.monotonic()
        turn = max(now, self._local_next.get(host, 0.0))
        self._local_next[host] = turn + delay
        if turn > now:
            await asyncio.sleep(turn - now)

    def _release(self, request: Request) -> None:
        turn: Any = request.meta.pop(TOKEN_META, None)
        if turn is None:
            return
        with contextlib.suppress(RedisError):  # else the lease ends by itself
            self.limiter.release(*turn)

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider) -> None:
        self._release(request)
        return None
