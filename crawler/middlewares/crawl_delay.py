"""Honour robots.txt ``Crawl-delay``, which Scrapy reads but does not apply.

Scrapy's RobotsTxtMiddleware fetches robots.txt through the downloader, so its response
passes this middleware's ``process_response``: the delay is read there with Protego and
given to the host's download slot (and to slots created for it later, via the downloader's
per-slot settings), without randomization. The slot then spaces requests to the host at
least that far apart. Requests to such a host are marked so that AutoThrottle, which
rewrites slot delays from latencies, leaves that delay alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request, Spider
from scrapy.http import Response

from crawler import stats as st

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

MAX_CRAWL_DELAY = 60.0  # a site asking for more still gets crawled, just this slowly


def crawl_delay(robots_txt: bytes, user_agent: str) -> float | None:
    """The Crawl-delay robots.txt asks of ``user_agent`` (or of ``*``), capped; None if none."""
    parser = Protego.parse(robots_txt.decode("utf-8", errors="replace"))
    delay = parser.crawl_delay(user_agent)
    if delay is None:
        delay = parser.crawl_delay("*")
    if delay is None or delay <= 0:
        return None
    return min(float(delay), MAX_CRAWL_DELAY)


class CrawlDelayMiddleware:
    """Downloader middleware. ``downloader`` is Scrapy's (set by ``from_crawler``)."""

    def __init__(self, user_agent: str, stats: st.StatsSink, downloader: Any = None) -> None:
        self.user_agent = user_agent
        self.stats = stats
        self.downloader = downloader
        self.delays: dict[str, float] = {}  # host -> seconds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ua = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        mw = cls(str(ua), crawler.stats)  # type: ignore[arg-type]
        mw._crawler = crawler
        return mw

    _crawler: Crawler | None = None

    def _slots(self) -> Any:
        if self.downloader is None and self._crawler is not None and self._crawler.engine:
            self.downloader = self._crawler.engine.downloader
        return self.downloader

    def record_robots(self, host: str, body: bytes) -> float | None:
        """Read robots.txt ``body`` of ``host`` and apply its Crawl-delay to the host's slot."""
        delay = crawl_delay(body, self.user_agent)
        if delay is None:
            return None
        delay = max(delay, self.delays.get(host, 0.0))
        self.delays[host] = delay
        self.stats.set_value(st.key(st.CRAWL_DELAY), delay)
        downloader = self._slots()
        if downloader is not None:
            settings = dict(downloader.per_slot_settings.get(host, {}))
            settings.update(delay=delay, randomize_delay=False)
            downloader.per_slot_settings[host] = settings
            slot = downloader.slots.get(host)
            if slot is not None:
                slot.delay = max(slot.delay, delay)
                slot.randomize_delay = False
        logger.info("%s asks for Crawl-delay %.2fs; honoured", host, delay)
        return delay

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
        parts = urlsplit(request.url)
        if (
            request.meta.get("dont_obey_robotstxt")
            and parts.path == "/robots.txt"
            and response.status == 200
        ):
            self.record_robots(parts.hostname or "", response.body)
        return response

    def process_request(self, request: Request, spider: Spider) -> None:
        host = urlsplit(request.url).hostname or ""
        delay = self.delays.get(host)
        if delay:
            request.meta["autothrottle_dont_adjust_delay"] = True
            downloader = self._slots()
            slot = downloader.slots.get(host) if downloader is not None else None
            # AutoThrottle may have moved it from a request sent before robots.txt was read.
            if slot is not None and (slot.delay < delay or slot.randomize_delay):
                slot.delay = max(slot.delay, delay)
                slot.randomize_delay = False
        return None
