"""Daemon mode: an APScheduler 3.x scheduler whose jobs live in the newsmon database.

Jobs (ids are fixed so a restart finds them again):

    crawl            every ``schedule.crawl_interval_minutes`` (``crawl:<group>`` per source
                     group when sources name more than one group; those share one worker so
                     they queue instead of tripping over the crawl lock)
    digest           daily at ``digest.send_time`` in ``digest.timezone``
    housekeeping     daily at ``schedule.housekeeping_time`` in ``digest.timezone``

Every job: ``replace_existing``, ``coalesce`` (a backlog of missed runs runs once),
``max_instances=1``, ``misfire_grace_time`` from the config - except crawls, which run however
late: a group's crawl that waits for the crawl worker while another group's crawl runs longer
than the grace time would otherwise be dropped, at every interval. When the stored job has the
same trigger and arguments, its stored next run time is kept, so a restart resumes the schedule
instead of starting it over (a daemon restarted every 50 minutes still crawls hourly).

The job store table (``apscheduler_jobs``) must never be shared by two running schedulers
(APScheduler 3.x has no coordination), so the daemon holds the ``schedule`` run lock.

SIGTERM and SIGINT (Ctrl-C) stop the daemon after the running job. The scheduler runs in a
thread of its own (BackgroundScheduler) and the signal handler only raises a flag: the main
thread, which does nothing but wait for that flag, then shuts the scheduler down. Shutting
down from the handler itself could hang for good: a signal that lands while the scheduler's
loop is handing a job to an executor (holding that executor's lock) would wait for the job,
and the job, when it ends, waits for that lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, inspect

from scheduler.config import Config
from scheduler.jobplan import CRAWL_EXECUTOR, JobSpec, plan_jobs
from scheduler.lock import run_lock
from storage.engine import make_engine
from storage.exceptions import DeliveryError

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
DIGEST_JOB = "digest"
# Retry jobs are "digest-retry:<UTC time>": one id per retry (see JobEvents._retry_digest).
DIGEST_RETRY_JOB = "digest-retry"
DIGEST_RETRY_AFTER = dt.timedelta(minutes=30)
# How often the main thread looks at the stop flag (see wait_for_stop).
STOP_POLL_SECONDS = 0.2


def make_scheduler(
    jobstore_engine: Engine,
    cfg: Config,
    *,
    scheduler_cls: type[BaseScheduler] = BackgroundScheduler,
) -> BaseScheduler:
    """A scheduler over the SQLAlchemy job store on ``jobstore_engine`` (not started).

    Give it an engine of its own: the job store disposes of it at shutdown.
    """
    scheduler = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(engine=jobstore_engine, tablename=JOBS_TABLE)},
        executors={
            "default": ThreadPoolExecutor(2),
            # One worker: crawls of different groups queue rather than overlap.
            CRAWL_EXECUTOR: ThreadPoolExecutor(1),
        },
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": cfg.schedule.misfire_grace_seconds,
        },
        timezone=ZoneInfo(cfg.digest.timezone),
    )
    scheduler.add_listener(
        JobEvents(scheduler),
        EVENT_JOB_ERROR | EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
    )
    return scheduler


@dataclass
class JobEvents:
    """Job outcomes go to the log; a failed job never stops the daemon.

    When the digest could not be delivered (DeliveryError: mail server down or refusing), a
    one-off ``digest-retry:<time>`` job tries again ``retry_after`` later instead of waiting a
    day; the retry carries everything still undelivered, like any digest run.
    """

    scheduler: BaseScheduler
    retry_after: dt.timedelta = DIGEST_RETRY_AFTER

    def __call__(self, event: SchedulerEvent) -> None:
        job_id = getattr(event, "job_id", "?")
        if isinstance(event, JobExecutionEvent) and event.code == EVENT_JOB_ERROR:
            # APScheduler's executor logger has already written the traceback.
            logger.error(
                "job %s failed: %s: %s", job_id, type(event.exception).__name__, event.exception
            )
            if (job_id == DIGEST_JOB or is_digest_retry(job_id)) and isinstance(
                event.exception, DeliveryError
            ):
                self._retry_digest(job_id)
        elif event.code == EVENT_JOB_MISSED:
            logger.warning("job %s missed its run time (daemon down or busy); skipped", job_id)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            logger.warning("job %s is still running; this run is skipped", job_id)
        else:
            logger.info("job %s done", job_id)

    def _retry_digest(self, failed: str) -> None:
        daily = self.scheduler.get_job(DIGEST_JOB)
        if daily is None:
            return
        now = dt.datetime.now(dt.UTC)
        when = now + self.retry_after
        upcoming = daily.next_run_time
        if upcoming is not None and upcoming <= now:
            # Still the run that just failed: a job that fails at once is reported from the
            # scheduler's own thread before the scheduler has moved the job on.
            upcoming = daily.trigger.get_next_fire_time(upcoming, now)
        if upcoming is not None and upcoming <= when:
            return  # the daily run comes first anyway
        # A new id, never the failed retry's: when a job fails at once the scheduler settles
        # it only after this listener has run, and settling a one-off job removes its id.
        for job in self.scheduler.get_jobs():
            if is_digest_retry(job.id) and job.id != failed:
                self.scheduler.remove_job(job.id)  # one retry pending at a time
        self.scheduler.add_job(
            daily.func,
            "date",
            run_date=when,
            id=f"{DIGEST_RETRY_JOB}:{when.strftime('%Y%m%dT%H%M%S.%fZ')}",
            name="digest retry after a delivery failure",
            kwargs=dict(daily.kwargs),
            replace_existing=True,
        )
        logger.warning(
            "digest not delivered; trying again at %s", when.isoformat(timespec="seconds")
        )


def is_digest_retry(job_id: str) -> bool:
    """A one-off digest retry (``digest-retry`` alone in earlier versions)."""
    return job_id == DIGEST_RETRY_JOB or job_id.startswith(f"{DIGEST_RETRY_JOB}:")


def stored_jobs(engine: Engine) -> dict[str, Job]:
    """Jobs in the job store table (empty when the daemon never ran on this database)."""
    if not inspect(engine).has_table(JOBS_TABLE):
        return {}
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    return {job.id: job for job in store.get_all_jobs()}


def _same_trigger(a: BaseTrigger, b: BaseTrigger) -> bool:
    if isinstance(a, CronTrigger) and isinstance(b, CronTrigger):
        # Same fields, same zone: the same times (a CronTrigger stored by earlier versions
        # stands for the DailyTrigger that replaced it, and its schedule is kept).
        return str(a) == str(b) and str(a.timezone) == str(b.timezone)
    if type(a) is not type(b):
        return False
    if isinstance(a, IntervalTrigger) and isinstance(b, IntervalTrigger):
        return a.interval == b.interval and str(a.timezone) == str(b.timezone)
    return str(a) == str(b) and str(getattr(a, "timezone", "")) == str(getattr(b, "timezone", ""))


def install_jobs(
    scheduler: BaseScheduler,
    specs: Sequence[JobSpec],
    engine: Engine,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Add ``specs`` (replace_existing), keeping stored next run times when unchanged, and
    remove stored jobs the config no longer asks for (e.g. a source group that is gone).

    Call before the scheduler starts; ``engine`` is the job store's database.
    """
    now = now or dt.datetime.now(dt.UTC)
    stored = stored_jobs(engine)
    wanted = {s.id for s in specs}
    for spec in specs:
        old = stored.get(spec.id)
        extra: dict[str, Any] = {}
        if (
            old is not None
            and old.next_run_time is not None
            and old.func_ref == f"{spec.func.__module__}:{spec.func.__qualname__}"
            and dict(old.kwargs) == spec.kwargs
            and _same_trigger(old.trigger, spec.trigger)
        ):
            extra["next_run_time"] = old.next_run_time  # resume; misfires are coalesced
        elif old is None and spec.run_first_at_start:
            extra["next_run_time"] = now
        if spec.run_late:
            extra["misfire_grace_time"] = None
        scheduler.add_job(
            spec.func,
            spec.trigger,
            id=spec.id,
            name=spec.name or spec.id,
            kwargs=spec.kwargs,
            executor=spec.executor,
            replace_existing=True,
            **extra,
        )
    # A pending digest retry is kept: it is not in the plan, but it is still owed.
    stale = [j for j in stored if j not in wanted and not is_digest_retry(j)]
    if stale:
        # Before start() the scheduler only sees pending jobs, so remove these in the store.
        store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
        for job_id in stale:
            logger.info("removing job %s: no longer in the configuration", job_id)
            store.remove_job(job_id)


@dataclass
class Stopper:
    """SIGTERM/SIGINT handler: remembers the first signal and does nothing else.

    A signal handler runs in the main thread between any two bytecodes, wherever that thread
    is, so this one takes no lock and calls nothing that may wait or write (not even logging:
    a write to stderr that interrupts another write to it raises); :func:`wait_for_stop` does
    the rest. A second signal while the running job finishes changes nothing.
    """

    signum: int | None = None

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum


def install_signal_handlers() -> Stopper:
    """Make SIGTERM and SIGINT ask the daemon to stop (main thread only)."""
    stopper = Stopper()
    signal.signal(signal.SIGTERM, stopper)
    signal.signal(signal.SIGINT, stopper)
    return stopper


def wait_for_stop(scheduler: BaseScheduler, stopper: Stopper) -> None:
    """In the main thread: wait for SIGTERM/SIGINT, then stop taking jobs and wait for the
    running one.

    A short poll of a flag rather than an Event: setting an Event in the handler can hang when
    the signal lands while this thread holds the Event's own lock.
    """
    while stopper.signum is None:
        time.sleep(STOP_POLL_SECONDS)
    name = signal.Signals(stopper.signum).name
    logger.info("%s received: stopping after the running job", name)
    scheduler.shutdown(wait=True)


def run_daemon(cfg: Config, *, config_path: str | None, database_url: str) -> int:
    """``newsmon schedule``: hold the schedule lock and run until SIGTERM/SIGINT."""
    specs = plan_jobs(cfg, config_path=config_path, database_url=database_url)
    with run_lock(database_url, "schedule", fallback_dir=cfg.base_dir):
        engine = make_engine(database_url)  # disposed by the job store at shutdown
        scheduler = make_scheduler(engine, cfg)
        install_jobs(scheduler, specs, engine)
        stopper = install_signal_handlers()
        logger.info("scheduler started with jobs: %s", ", ".join(s.id for s in specs))
        scheduler.start()  # in its own thread
        wait_for_stop(scheduler, stopper)
        logger.info("scheduler stopped")
    return 0


@dataclass(frozen=True)
class JobLine:
    """One row of ``newsmon schedule --list``."""

    id: str
    name: str
    trigger: str
    next_run: dt.datetime | None
    stored: bool


def describe_jobs(engine: Engine, specs: Sequence[JobSpec]) -> list[JobLine]:
    """The stored jobs with their next run times; planned ones when none is stored yet."""
    stored = stored_jobs(engine)
    if stored:
        return [
            JobLine(j.id, j.name, str(j.trigger), j.next_run_time, True)
            for j in sorted(stored.values(), key=lambda j: j.id)
        ]
    now = dt.datetime.now(dt.UTC)
    return [
        JobLine(
            s.id,
            s.name or s.id,
            str(s.trigger),
            now if s.run_first_at_start else s.trigger.get_next_fire_time(None, now),
            False,
        )
        for s in specs
    ]
