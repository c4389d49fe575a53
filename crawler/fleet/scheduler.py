"""The worker's Scrapy scheduler: requests come from the fleet's frontier.

A thread takes entries with a blocking BLMOVE (no polling: an idle worker wakes the moment
discovery pushes) into a small local buffer and wakes the engine; the engine takes them as
fast as its concurrency allows. Requests the worker makes itself (redirects, retries) stay in
a local queue: they belong to the entry the worker already holds.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Self

from redis import Redis
from redis.exceptions import RedisError
from scrapy import Spider
from scrapy.http import Request
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.fleet.frontier import Frontier
from crawler.fleet.keys import FleetKeys
from crawler.fleet.setup import connect
from crawler.state import CrawlState, crawl_state

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Entries taken but not yet handed to the engine. The engine empties the buffer at once
# while it has room, so this only bounds what a busy worker holds that another could take.
PREFETCH = 4
POP_TIMEOUT = 1.0  # seconds a BLMOVE blocks (bounds how long stopping takes)


class FrontierScheduler:
    def __init__(
        self, crawler: Crawler, state: CrawlState, server: Redis, keys: FleetKeys, worker_id: str
    ) -> None:
        self.crawler = crawler
        self.state = state
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.local: deque[Request] = deque()
        self.buffer: deque[bytes] = deque()
        self.frontier: Frontier | None = None
        self._stop = threading.Event()
        self._room = threading.Event()
        self._thread: threading.Thread | None = None
        dupefilter_cls = load_object(crawler.settings["DUPEFILTER_CLASS"])
        self.df = build_from_crawler(dupefilter_cls, crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler,
            crawl_state(crawler, "FrontierScheduler"),
            connect(s.get("NEWSMON_FLEET_URL")),
            FleetKeys(s.get("NEWSMON_FLEET_PREFIX")),
            s.get("NEWSMON_FLEET_WORKER"),
        )

    # -- Scrapy's scheduler interface ---------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.frontier = Frontier(self.server, spider, self.keys)
        if self.state.fleet is not None:
            self.state.fleet.frontier = self.frontier  # the spider acks through it
        self.df.open()
        self._room.set()
        self._thread = threading.Thread(target=self._pull, name="frontier-pull", daemon=True)
        self._thread.start()

    def close(self, reason: str) -> None:
        self._stop.set()
        self._room.set()
        if self._thread is not None:
            self._thread.join(timeout=POP_TIMEOUT + 5)
        self.df.close(reason)

    def has_pending_requests(self) -> bool:
        return bool(self.local or self.buffer)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.crawler.spider)
            return False
        self.local.append(request)
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        while self.buffer:
            entry = self.buffer.popleft()
            self._room.set()
            assert self.frontier is not None
            try:
                return self.frontier.decode(entry)
            except Exception:  # an entry this version cannot read: skip it, keep going
                logger.exception("unreadable frontier entry skipped")
        return None

    # -- the pulling thread ----------------------------------------------------------------

    def _wake(self) -> None:
        # ExecutionEngine._slot.nextcall: private (canary in tests/crawler/test_scrapy_hooks.py).
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) if engine is not None else None
        if slot is not None and slot.nextcall is not None:
            slot.nextcall.schedule()

    def _pull(self) -> None:
        from twisted.internet import reactor

        assert self.frontier is not None
        warned = False
        while not self._stop.is_set():
            if len(self.buffer) >= PREFETCH:
                self._room.clear()
                self._room.wait(POP_TIMEOUT)
                continue
            try:
                entry = self.frontier.reserve(self.worker_id, POP_TIMEOUT)
                warned = False
            except RedisError as exc:
                if not warned:
                    logger.warning("frontier unreachable (%s); retrying", exc)
                    warned = True
                self._stop.wait(1.0)
                continue
            if entry is not None:
                self.buffer.append(entry)
                reactor.callFromThread(self._wake)  # type: ignore[attr-defined]
