"""run_crawl: one Scrapy run over the selected sources, recorded as a crawl run.

Scrapy runs in this process on the asyncio reactor. A Twisted reactor cannot be restarted, so
call this once per process; the daemon starts crawls as subprocesses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from crawler import stats as st
from crawler.interrupt import CrawlInterrupted, Interruption
from crawler.items import ArticleItem
from crawler.memory import unmap_large_allocations
from crawler.scrapy_compat import fast_event_loop_lookup, remove_callback_delay
from crawler.settings import build_settings
from crawler.spec import CrawlJob
from crawler.spiders.fetch_state import FetchStateStore
from crawler.spiders.known import ArchiveKnownUrls
from crawler.spiders.news import NewsSpider
from crawler.spiders.visits import VisitLog
from storage.engine import make_engine, make_session_factory, session_scope
from storage.models import utcnow
from storage.queries import totals
from storage.records import SourceCounts
from storage.runs import finish_run, mark_stale_runs, register_source, start_run
from storage.skips import AGE_KEY
from storage.watch import add_watch_counts

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class CrawlSummary:
    """What a crawl did: status (ok | partial | failed | interrupted), per-source counts and
    totals; ``interruption`` says which signal stopped it, when one did."""

    run_id: int
    status: str
    per_source: dict[str, SourceCounts]
    totals: SourceCounts
    stats: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    interruption: Interruption | None = None


def run_status(per_source: Mapping[str, SourceCounts], finished_cleanly: bool = True) -> str:
    """ok when every source worked, failed when all failed, partial otherwise."""
    failed = [name for name, c in per_source.items() if c.failed]
    if per_source and len(failed) == len(per_source):
        return "failed"
    if failed or not finished_cleanly:
        return "partial"
    return "ok"


def totals_of(per_source: Mapping[str, SourceCounts]) -> SourceCounts:
    total = SourceCounts()
    for counts in per_source.values():
        for f in dataclasses.fields(SourceCounts):
            if f.name not in ("last_error", "skipped"):
                setattr(total, f.name, getattr(total, f.name) + getattr(counts, f.name))
        for reason, n in counts.skipped.items():
            if reason != AGE_KEY:
                total.skipped[reason] = total.skipped.get(reason, 0) + n
    return total


def watch_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """Articles matched per watch-list rule in this run (the run-wide ``watch/<rule>`` keys)."""
    prefix = st.key(st.WATCH_PREFIX)
    return {
        k[len(prefix) :]: int(v)
        for k, v in stats.items()
        if k.startswith(prefix) and isinstance(v, int | float)
    }


def open_run(session: Any, job: CrawlJob) -> int:
    """Record a new crawl run of ``job``'s sources (a crawl's or a fleet worker's); its id."""
    mark_stale_runs(session)
    for spec in job.sources:
        register_source(session, spec.name, spec.url, spec.kind)
    return start_run(session, [s.name for s in job.sources], os.getpid())


def close_run(
    session: Any,
    run_id: int,
    status: str,
    stats: dict[str, Any],
    per_source: Mapping[str, SourceCounts],
    error: str | None,
) -> None:
    """Record how run ``run_id`` ended, with the watch-list matches it counted."""
    finish_run(session, run_id, status, stats, dict(per_source), error=error)
    add_watch_counts(session, watch_counts(stats), utcnow())


def _jsonable(stats: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in stats.items():
        if isinstance(v, bool | int | float | str) or v is None:
            out[k] = v
        elif isinstance(v, dt.datetime):
            out[k] = v.isoformat()
        elif isinstance(v, dt.timedelta):
            out[k] = v.total_seconds()
    return out


def _connect_progress(crawler: Any, progress: Progress) -> None:
    def scraped(item: ArticleItem, **_: Any) -> None:
        kind = f"copy ({item.duplicate_kind})" if item.duplicate_kind else "new"
        mark = "relevant" if item.relevant else "other"
        score = f"{item.relevance_score:.2f}" if item.relevance_score is not None else "-"
        progress(f"[{item.source}] {kind}, {mark} {score}: {item.title or item.url}")

    def dropped(item: ArticleItem, exception: BaseException, **_: Any) -> None:
        progress(f"[{item.source}] skipped {item.url}: {exception}")

    # Scrapy keeps weak references to receivers: hold them on the crawler.
    crawler._newsmon_receivers = (scraped, dropped)
    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(dropped, signal=signals.item_dropped)


def _pools(action: str) -> None:
    """``kill_open_pools`` or ``terminate_open_pools`` of the extraction pool module, if a pool
    was ever made (no import here: this may run in a signal handler)."""
    pool = sys.modules.get("crawler.extraction.pool")
    if pool is not None:
        getattr(pool, action)()


def _stop_now(process: CrawlerProcess) -> None:
    """Stop the reactor without waiting for the pages in flight.

    ``Crawler.crawling`` is set first: the reactor's shutdown runs ``CrawlerProcess.stop``,
    which would otherwise start a graceful stop and wait for it."""
    from twisted.internet import reactor

    for crawler in list(process.crawlers):
        crawler.crawling = False
    with contextlib.suppress(RuntimeError):  # already stopping
        reactor.stop()  # type: ignore[attr-defined]


def _start(
    job: CrawlJob,
    run_id: int,
    engine: Any,
    writes: Any,
    progress: Progress | None,
    failures: list[Failure],
) -> tuple[CrawlerProcess, Any]:
    """The CrawlerProcess and its crawler for run ``run_id``, the crawl scheduled."""
    # Scrapy's configure_logging() resets the "scrapy" and "twisted" logger levels; the
    # caller (the CLI) has already chosen them.
    levels = {n: logging.getLogger(n).level for n in ("scrapy", "twisted", "py.warnings")}
    # Its version banner is logged inside the constructor, before the levels can be put
    # back (and dictConfig resets child loggers), so INFO is muted for that one call
    # unless the caller asked for Scrapy's chatter.
    quiet = levels["scrapy"] > logging.INFO
    settings = build_settings(job, run_id)
    fleet_kwargs: dict[str, Any] = {}
    if job.fleet_url:
        # Fleet discovery: article requests go to the frontier (crawler/fleet/).
        from crawler.fleet.discovery import prepare_discovery

        fleet_kwargs = prepare_discovery(job, settings)
    if quiet:
        logging.disable(logging.INFO)
        # Nor are the library versions for that banner looked up (about 10 ms).
        settings["LOG_VERSIONS"] = []
    try:
        process = CrawlerProcess(settings, install_root_handler=False)
    finally:
        if quiet:
            logging.disable(logging.NOTSET)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    remove_callback_delay()
    fast_event_loop_lookup()
    crawler = process.create_crawler(NewsSpider)
    if progress is not None:
        _connect_progress(crawler, progress)
    deferred = process.crawl(
        crawler,
        sources=job.sources,
        options=job.options,
        known_urls=ArchiveKnownUrls(make_session_factory(engine)),
        fetch_state=FetchStateStore(writes),
        visits=VisitLog(writes),
        **fleet_kwargs,
    )
    deferred.addErrback(failures.append)
    return process, crawler


def run_crawl(job: CrawlJob, *, progress: Progress | None = None) -> CrawlSummary:
    """Crawl ``job.sources`` once and record the run; returns its summary.

    The database must be migrated. Errors of single pages and sources are counted, not
    raised; an exception that stops the crawl itself (the model cannot load, say) marks the
    run failed and is re-raised. SIGINT and SIGTERM stop the crawl (see crawler.interrupt):
    the run is recorded ``interrupted`` and the summary's ``interruption`` says by what.
    """
    started = time.monotonic()
    unmap_large_allocations()
    names = [s.name for s in job.sources]
    engine = make_engine(job.database_url)
    try:
        writes = make_session_factory(engine, write=True)
        with session_scope(writes) as session:
            run_id = open_run(session, job)
            # From the per-source counters: no pass over the archive.
            stored = totals(session).articles
        process: CrawlerProcess | None = None
        interruption = Interruption(
            graceful=lambda: process.stop() if process else None,
            force=lambda: _stop_now(process) if process else None,
            on_force=lambda: _pools("kill_open_pools"),
        )
        failures: list[Failure] = []
        crawler: Any = None
        try:
            with interruption:
                # Logged once Ctrl-C is the interruption's: from here on it is recorded.
                logger.info(
                    "crawl run %d: %d source%s, %s article%s stored before it",
                    run_id,
                    len(names),
                    "" if len(names) == 1 else "s",
                    f"{stored:,}",
                    "" if stored == 1 else "s",
                )
                process, crawler = _start(job, run_id, engine, writes, progress, failures)
                from twisted.internet import reactor

                reactor.addSystemEventTrigger(  # type: ignore[attr-defined]
                    "after", "startup", interruption.reactor_started
                )
                # Scrapy's and Twisted's signal handlers are replaced by the interruption's.
                process.start(install_signal_handlers=False)
        except CrawlInterrupted:
            pass  # a second signal before the reactor ran: nothing was crawled yet
        finally:
            # A crawl stopped at once never closed its stages: their workers must not
            # outlive it, nor keep the interpreter waiting at exit.
            if interruption.signum is not None:
                _pools("terminate_open_pools")

        raw = crawler.stats.get_stats() if crawler is not None and crawler.stats else {}
        stats = _jsonable(raw)
        age = job.options.max_article_age_days
        per_source = {name: st.source_counts(stats, name, age_days=age) for name in names}
        clean = not failures and raw.get("finish_reason") == "finished"
        interrupted = interruption.signum is not None
        if interrupted:
            status = "interrupted"
            failures.clear()  # a forced stop fails what was in flight; that is no error
        else:
            status = "failed" if failures else run_status(per_source, clean)
        error = None
        if interrupted:
            error = f"interrupted by {interruption.signal_name}"
        if failures:
            error = f"{type(failures[0].value).__name__}: {failures[0].value}"
        with session_scope(writes) as session:
            close_run(session, run_id, status, stats, per_source, error)
        if failures:
            exc = failures[0].value
            assert exc is not None
            raise exc
        return CrawlSummary(
            run_id=run_id,
            status=status,
            per_source=per_source,
            totals=totals_of(per_source),
            stats=stats,
            elapsed=time.monotonic() - started,
            interruption=interruption if interrupted else None,
        )
    finally:
        engine.dispose()
