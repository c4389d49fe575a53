"""``run_worker``: one fleet worker: takes article requests from the frontier, fetches,
extracts (in its own process pool), scores, dedups and stores them, until stopped.

SIGTERM (or Ctrl-C) stops taking new requests and finishes those in flight (Scrapy's
graceful shutdown); what the worker took but did not start goes back to the queue. A worker
killed with SIGKILL stops its heartbeat: what it held is requeued by the next discovery or by
another worker. Each worker records a crawl run (host, pid, worker id), and the articles it
stores carry that run's id.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler import stats as st
from crawler.fleet.frontier import Frontier
from crawler.fleet.keys import FleetKeys
from crawler.fleet.registry import BEAT_SECONDS, Registry, WorkerRecord, new_worker_id
from crawler.fleet.setup import apply_fleet_settings, connect
from crawler.items import ArticleItem
from crawler.runner import _jsonable, close_run, open_run, run_status
from crawler.scrapy_compat import fast_event_loop_lookup, remove_callback_delay
from crawler.settings import build_settings
from crawler.spec import CrawlJob
from crawler.spiders.fetch_state import FetchStateStore
from crawler.spiders.known import ArchiveKnownUrls
from crawler.spiders.news import NewsSpider
from crawler.spiders.visits import VisitLog
from storage.engine import make_engine, make_session_factory, session_scope

logger = logging.getLogger(__name__)

WORKER_KEY = "newsmon/fleet/worker"
SCHEDULER = "crawler.fleet.scheduler.FrontierScheduler"


class WorkerSpider(NewsSpider):
    """The NewsSpider's article side, fed by the frontier; acks each entry when it ends."""

    name = "newsmon"
    fleet: FleetState  # always set: the crawl's CrawlState hands it to the scheduler

    def __init__(self, *args: Any, fleet: FleetState, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fleet = fleet

    async def start(self) -> AsyncIterator[Request]:
        return
        yield  # an async generator that yields nothing: requests come from the frontier

    def _done(self, request: Request | None, *, error: bool = False) -> None:
        self.fleet.record.pages += 1
        if error:
            self.fleet.record.errors += 1
        if request is None or self.fleet.frontier is None:
            return
        try:
            self.fleet.frontier.ack(self.fleet.record.id, request)
        except RedisError as exc:
            logger.warning("frontier ack failed for %s: %s", request.url, exc)

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        items = list(super().parse_article(response))
        if not items:
            self._done(response.request)
        yield from items

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        super().item_scraped(item, response, spider)
        self._done(response.request)

    def item_dropped(
        self, item: Any, response: Response, exception: BaseException, spider: Spider
    ) -> None:
        super().item_dropped(item, response, exception, spider)
        self._done(response.request)

    def item_error(self, item: Any, response: Response, spider: Spider, failure: Failure) -> None:
        super().item_error(item, response, spider, failure)
        self._done(response.request, error=True)

    def on_error(self, failure: Failure) -> None:
        super().on_error(failure)
        self._done(failure.request, error=True)  # type: ignore[attr-defined]

    def request_dropped(self, request: Request, spider: Spider) -> None:
        super().request_dropped(request, spider)
        self._done(request)


@dataclass
class FleetState:
    """What the worker's parts share: its record, the frontier, the registry."""

    record: WorkerRecord
    registry: Registry
    frontier: Frontier | None = None
    until_empty: bool = False


def _drained(state: FleetState) -> bool:
    """Nothing queued, nothing held by another worker (a dead one's goes back first)."""
    assert state.frontier is not None
    ids = state.registry.ids()
    state.frontier.requeue_dead(ids)
    if state.frontier.queued():
        return False
    held = state.frontier.held_by([w for w in ids if w != state.record.id])
    return not any(held.values())


def _heartbeat(state: FleetState, stop: threading.Event, wake: Any) -> None:
    """Beat every BEAT_SECONDS (in a thread: a busy reactor must not look like a dead
    worker); requeue what dead workers held while at it. With ``until_empty`` it also wakes
    the engine, whose own idle check comes only every 5 s, so a drained worker exits soon."""
    from twisted.internet import reactor

    warned = False
    while not stop.wait(BEAT_SECONDS):
        if state.until_empty:
            reactor.callFromThread(wake)  # type: ignore[attr-defined]
        try:
            state.registry.beat(state.record)
            if state.frontier is not None:
                state.frontier.requeue_dead(state.registry.ids())
            warned = False
        except RedisError as exc:
            if not warned:
                logger.warning("frontier unreachable for the heartbeat (%s)", exc)
                warned = True


def run_worker(job: CrawlJob, *, until_empty: bool = False) -> int:
    """Run one worker until stopped (or, ``until_empty``, until the frontier is drained);
    returns its crawl run's id."""
    assert job.fleet_url
    server = connect(job.fleet_url)
    keys = FleetKeys(job.fleet_prefix)
    registry = Registry(server, keys)
    worker_id = new_worker_id()
    names = [s.name for s in job.sources]
    engine = make_engine(job.database_url)
    try:
        writes = make_session_factory(engine, write=True)
        with session_scope(writes) as session:
            run_id = open_run(session, job)
        record = WorkerRecord(
            id=worker_id,
            host=worker_id.split(":")[0],
            pid=os.getpid(),
            started=time.time(),
            last_seen=time.time(),
            run_id=run_id,
        )
        state = FleetState(record, registry, until_empty=until_empty)
        registry.beat(record)
        logger.info("worker %s: crawl run %d", worker_id, run_id)

        settings = build_settings(job, run_id)
        apply_fleet_settings(settings, job)
        settings["SCHEDULER"] = SCHEDULER
        settings["NEWSMON_FLEET_WORKER"] = worker_id
        levels = {n: logging.getLogger(n).level for n in ("scrapy", "twisted", "py.warnings")}
        settings["LOG_VERSIONS"] = []
        process = CrawlerProcess(settings, install_root_handler=False)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        remove_callback_delay()
        fast_event_loop_lookup()
        crawler = process.create_crawler(WorkerSpider)

        # ExecutionEngine._slot (.scheduler, .nextcall) here and in wake(): private (canary
        # in tests/crawler/test_scrapy_hooks.py).
        def idle(spider: Spider) -> None:
            scheduler = crawler.engine._slot.scheduler if crawler.engine else None  # type: ignore[union-attr]
            if scheduler is not None and scheduler.has_pending_requests():
                raise DontCloseSpider
            if not state.until_empty:
                raise DontCloseSpider
            try:
                if not _drained(state):
                    raise DontCloseSpider
            except RedisError as exc:
                logger.warning("frontier unreachable (%s); waiting", exc)
                raise DontCloseSpider from None

        crawler.signals.connect(idle, signal=signals.spider_idle)
        crawler._newsmon_receivers = (idle,)  # type: ignore[attr-defined]
        failures: list[Failure] = []
        stop = threading.Event()

        def wake() -> None:
            slot = getattr(crawler.engine, "_slot", None)
            if slot is not None and slot.nextcall is not None:
                slot.nextcall.schedule()

        beat = threading.Thread(target=_heartbeat, args=(state, stop, wake), daemon=True)
        deferred = process.crawl(
            crawler,
            sources=job.sources,
            options=job.options,
            known_urls=ArchiveKnownUrls(make_session_factory(engine)),
            fetch_state=FetchStateStore(writes),
            visits=VisitLog(writes),
            fleet=state,
        )
        deferred.addErrback(failures.append)
        # Only now: the crawl has installed the asyncio reactor the thread's wake-ups use.
        beat.start()
        try:
            process.start()
        finally:
            stop.set()
            beat.join(timeout=5)
            try:
                registry.stopped(record)
                # What it took and did not finish goes back for another worker.
                if state.frontier is not None:
                    state.frontier.requeue_dead([worker_id])
            except RedisError as exc:
                logger.warning("frontier unreachable at exit (%s)", exc)

        raw = crawler.stats.get_stats() if crawler.stats else {}
        stats = _jsonable(raw)
        stats[WORKER_KEY] = worker_id
        per_source = {
            name: counts
            for name in names
            if (counts := st.source_counts(stats, name)).fetched or counts.errors
        }
        status = "failed" if failures else run_status(per_source)
        error = None
        if failures:
            error = f"{type(failures[0].value).__name__}: {failures[0].value}"
        with session_scope(writes) as session:
            # The watch-list matches of what this worker stored count as a crawl's do.
            close_run(session, run_id, status, stats, per_source, error)
        if failures:
            first = failures[0].value
            assert first is not None
            raise first
        return run_id
    finally:
        engine.dispose()
