"""The scheduler daemon: its job plan, and the daemon's own scheduler (make_scheduler and
install_jobs, on a real SQLAlchemy job store) driven step by step on an injected clock.

No test here sleeps and counts runs or compares durations. The clock is time-machine's, frozen
at times the test picks; SteppedScheduler runs one round of due jobs when the test says so,
and the daemon's thread pools are swapped for APScheduler's synchronous executor, except where
a test is about those threads (one instance of a job; crawls queued behind one another), where
gates hold a job until the test lets it go. So every assertion is an exact run time or an
exact count. The `newsmon schedule` process itself (lock, --list, SIGTERM and Ctrl-C) runs as
a real subprocess with deadlines that only guard against a hang.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref, ref_to_obj
from time_machine import TimeMachineFixture

from scheduler.config import parse_config
from scheduler.daemon import JOBS_TABLE, JobEvents, install_jobs, make_scheduler
from scheduler.jobplan import CRAWL_EXECUTOR, DailyTrigger, JobSpec, plan_jobs
from storage.engine import make_engine
from storage.exceptions import DeliveryError
from tests.scheduler import daemon_support as support
from tests.scheduler.daemon_support import SteppedScheduler
from tests.scheduler.digest_support import migrated

UTC = dt.UTC
MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST: clocks change on 29 March and 25 October 2026
T0 = dt.datetime(2026, 3, 28, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
MINUTE = dt.timedelta(minutes=1)

CONFIG = """
[digest]
send_time = "07:30"
timezone = "Europe/Moscow"
[schedule]
crawl_interval_minutes = 30
crawl_timeout_minutes = 20
misfire_grace_seconds = 900
housekeeping_time = "03:15"
[crawl]
allow_private_addresses = true
[[sources]]
name = "a"
url = "http://127.0.0.1:9/feed"
kind = "feed"
group = "fast"
[[sources]]
name = "b"
url = "http://127.0.0.1:9/feed2"
kind = "feed"
group = "slow"
[[sources]]
name = "c"
url = "http://127.0.0.1:9/feed3"
kind = "feed"
group = "slow"
"""
ONE_GROUP = CONFIG.split("[[sources]]")[0] + (
    '[[sources]]\nname = "a"\nurl = "http://127.0.0.1:9/feed"\nkind = "feed"\n'
)


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    """The clock every part of the daemon reads (APScheduler's too), frozen at T0."""
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_plan_has_fixed_ids_triggers_and_picklable_plain_arguments(tmp_path: Path) -> None:
    cfg = parse_config(CONFIG, tmp_path / "newsmon.toml")
    specs = {
        s.id: s
        for s in plan_jobs(cfg, config_path="/etc/newsmon.toml", database_url="sqlite:///x.db")
    }
    assert sorted(specs) == ["crawl:fast", "crawl:slow", "digest", "housekeeping"]
    slow = specs["crawl:slow"]
    assert slow.kwargs["sources"] == ["b", "c"] and slow.kwargs["timeout_seconds"] == 1200
    assert isinstance(slow.trigger, IntervalTrigger)
    assert slow.trigger.interval == dt.timedelta(minutes=30)
    assert str(specs["digest"].trigger) == "cron[hour='7', minute='30']"
    assert str(specs["digest"].trigger.timezone) == "Europe/Moscow"
    assert str(specs["housekeeping"].trigger) == "cron[hour='3', minute='15']"
    for spec in specs.values():
        assert ref_to_obj(obj_to_ref(spec.func)) is spec.func  # importable by reference
        assert pickle.loads(pickle.dumps(spec.kwargs)) == spec.kwargs


def _scheduler(url: str, cfg_text: str = CONFIG, *, threads: bool = False) -> SteppedScheduler:
    """The daemon's scheduler (make_scheduler), stepped by the test.

    Unless ``threads``, its thread pools are swapped for APScheduler's synchronous executor:
    a step returns once the due jobs have run and their outcomes have reached the listener.
    """
    cfg = parse_config(cfg_text, None)
    sched = make_scheduler(make_engine(url), cfg, scheduler_cls=SteppedScheduler)
    assert isinstance(sched, SteppedScheduler)
    if not threads:
        for alias in ("default", CRAWL_EXECUTOR):
            sched.remove_executor(alias)
            sched.add_executor(DebugExecutor(), alias)
    return sched


def _planned(
    url: str, log: Path, cfg_text: str = CONFIG, only: Sequence[str] = ()
) -> list[JobSpec]:
    """The daemon's plan for ``cfg_text`` with every job recording its runs in ``log``."""
    specs = plan_jobs(parse_config(cfg_text, None), config_path=None, database_url=url)
    return [
        dataclasses.replace(s, func=support.record, kwargs={"path": str(log), "tag": s.id})
        for s in specs
        if not only or s.id in only
    ]


def _retries(sched: SteppedScheduler) -> list[Job]:
    return [j for j in sched.get_jobs() if j.id.startswith("digest-retry")]


def _spec(job_id: str, func: object, every: float, **kwargs: object) -> JobSpec:
    return JobSpec(job_id, func, IntervalTrigger(seconds=every), dict(kwargs))  # type: ignore[arg-type]


def _next_runs(sched: SteppedScheduler) -> dict[str, dt.datetime]:
    return {j.id: j.next_run_time for j in sched.get_jobs()}


def test_a_new_daemon_crawls_at_once_then_every_interval_and_a_late_crawl_runs_once(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    log = tmp_path / "runs.log"
    sched = _scheduler(sqlite_url, ONE_GROUP)
    install_jobs(sched, _planned(sqlite_url, log, ONE_GROUP), make_engine(sqlite_url))
    sched.start()
    try:
        # 09:00 in Moscow: the crawl is due now, the digest at 07:30 and housekeeping at 03:15
        # (Moscow) tomorrow.
        assert _next_runs(sched) == {
            "crawl": T0,
            "digest": dt.datetime(2026, 3, 29, 7, 30, tzinfo=MOSCOW),
            "housekeeping": dt.datetime(2026, 3, 29, 3, 15, tzinfo=MOSCOW),
        }
        sched.step()
        clock.shift(30 * MINUTE - dt.timedelta(seconds=1))
        sched.step()
        clock.shift(dt.timedelta(seconds=1))
        sched.step()
        # The daemon was stuck for five hours (a suspended machine): the ten crawls it missed
        # are one crawl now, and the interval goes on from the schedule, not from this run.
        clock.move_to(T0 + dt.timedelta(hours=5, minutes=10))
        sched.step()
        sched.step()
        assert support.runs(log, "crawl") == [
            T0,
            T0 + 30 * MINUTE,
            T0 + dt.timedelta(hours=5, minutes=10),
        ]
        assert sched.get_job("crawl").next_run_time == T0 + dt.timedelta(hours=5, minutes=30)
        assert support.tags(log) == ["crawl"] * 3
    finally:
        sched.shutdown()


@pytest.mark.parametrize(
    ("installed", "due"),
    [
        # Clocks go forward at 02:00: 07:30 is 05:30 UTC from this day on (06:30 the day before).
        (dt.datetime(2026, 3, 28, 12, tzinfo=UTC), dt.datetime(2026, 3, 29, 5, 30, tzinfo=UTC)),
        # Clocks go back at 03:00: 07:30 is 06:30 UTC from this day on (05:30 the day before).
        (dt.datetime(2026, 10, 24, 12, tzinfo=UTC), dt.datetime(2026, 10, 25, 6, 30, tzinfo=UTC)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_the_digest_goes_out_once_at_send_time_local_on_a_dst_change_day(
    sqlite_url: str,
    tmp_path: Path,
    time_machine: TimeMachineFixture,
    installed: dt.datetime,
    due: dt.datetime,
) -> None:
    time_machine.move_to(installed, tick=False)
    log = tmp_path / "runs.log"
    cfg_text = CONFIG.replace("Europe/Moscow", "Europe/Berlin")
    sched = _scheduler(sqlite_url, cfg_text)
    install_jobs(sched, _planned(sqlite_url, log, cfg_text, ["digest"]), make_engine(sqlite_url))
    sched.start()
    try:
        assert sched.get_job("digest").next_run_time == due
        assert due.astimezone(BERLIN).time() == dt.time(7, 30)
        # 07:30 by the other offset, a second early, on time, and 07:30 by the other offset
        for at in (due - dt.timedelta(hours=1), due - dt.timedelta(seconds=1), due):
            time_machine.move_to(at)
            sched.step()
        time_machine.move_to(due + dt.timedelta(hours=1))
        sched.step()
        assert support.runs(log, "digest") == [due]
        following = sched.get_job("digest").next_run_time
        assert following == due + dt.timedelta(days=1)
        assert following.astimezone(BERLIN).time() == dt.time(7, 30)
    finally:
        sched.shutdown()


@pytest.mark.parametrize(
    ("installed", "sent", "following"),
    [
        # 02:30 does not exist that night (02:00 becomes 03:00): sent once, at 03:30 CEST.
        (
            dt.datetime(2026, 3, 28, 12, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
        ),
        # 02:30 happens twice that night (03:00 becomes 02:00): sent once, at the first.
        (
            dt.datetime(2026, 10, 24, 12, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_send_time_in_the_hour_the_clocks_change_sends_one_digest_that_night(
    sqlite_url: str,
    tmp_path: Path,
    time_machine: TimeMachineFixture,
    installed: dt.datetime,
    sent: dt.datetime,
    following: dt.datetime,
) -> None:
    time_machine.move_to(installed, tick=False)
    log = tmp_path / "runs.log"
    cfg_text = CONFIG.replace("Europe/Moscow", "Europe/Berlin").replace('"07:30"', '"02:30"')
    sched = _scheduler(sqlite_url, cfg_text)
    install_jobs(sched, _planned(sqlite_url, log, cfg_text, ["digest"]), make_engine(sqlite_url))
    sched.start()
    try:
        night = sent.replace(hour=0, minute=0) - dt.timedelta(hours=1)
        for half_hours in range(11):  # 23:00 to 04:00 UTC, every half hour
            time_machine.move_to(night + half_hours * 30 * MINUTE)
            sched.step()
        assert support.runs(log, "digest") == [sent]
        assert sched.get_job("digest").next_run_time == following
        assert following.astimezone(BERLIN).time() == dt.time(2, 30)
    finally:
        sched.shutdown()


@pytest.mark.parametrize(
    ("late", "runs"),
    [(5 * MINUTE, 1), (30 * MINUTE, 0)],
    ids=["within-grace", "past-grace"],
)
def test_a_daemon_down_for_days_sends_the_missed_digest_once_or_not_at_all(
    sqlite_url: str,
    tmp_path: Path,
    clock: TimeMachineFixture,
    caplog: pytest.LogCaptureFixture,
    late: dt.timedelta,
    runs: int,
) -> None:
    log = tmp_path / "runs.log"
    specs = _planned(sqlite_url, log, only=["digest"])
    first = _scheduler(sqlite_url)
    install_jobs(first, specs, make_engine(sqlite_url))
    first.start(paused=True)
    assert first.get_job("digest").next_run_time == dt.datetime(2026, 3, 29, 7, 30, tzinfo=MOSCOW)
    first.shutdown()
    # Down for three send times; back ``late`` after the last one (grace: 900 s).
    back = dt.datetime(2026, 3, 31, 7, 30, tzinfo=MOSCOW) + late
    clock.move_to(back)
    second = _scheduler(sqlite_url)
    install_jobs(second, specs, make_engine(sqlite_url))
    with caplog.at_level(logging.INFO, logger="scheduler.daemon"):
        second.start()
        try:
            # The stored next run time is kept: a restart does not forget the missed runs.
            assert second.get_job("digest").next_run_time == dt.datetime(
                2026, 3, 29, 7, 30, tzinfo=MOSCOW
            )
            second.step()
            second.step()
            assert second.get_job("digest").next_run_time == dt.datetime(
                2026, 4, 1, 7, 30, tzinfo=MOSCOW
            )
        finally:
            second.shutdown()
    assert support.runs(log, "digest") == [back] * runs  # three missed runs coalesced into one
    assert caplog.text.count("job digest done") == runs
    assert caplog.text.count("job digest missed its run time") == 1 - runs


def test_a_failing_job_keeps_its_schedule_and_the_others_keep_running(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "runs.log"
    sched = _scheduler(sqlite_url)
    specs = [
        _spec("fail", support.fail, 60, path=str(log)),
        _spec("ok", support.record, 60, path=str(log), tag="ok"),
    ]
    install_jobs(sched, specs, make_engine(sqlite_url))
    with caplog.at_level(logging.INFO, logger="scheduler.daemon"):
        sched.start()
        try:
            for _ in range(3):
                clock.shift(60)
                sched.step()
        finally:
            sched.shutdown()
    minutes = [T0 + k * MINUTE for k in (1, 2, 3)]
    assert support.runs(log, "fail") == minutes  # the failing job keeps being scheduled
    assert support.runs(log, "ok") == minutes  # and the other one keeps running beside it
    assert caplog.text.count("job fail failed: RuntimeError: boom") == 3
    assert caplog.text.count("job ok done") == 3


def test_a_job_still_running_when_it_is_due_again_skips_that_run(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "runs.log"
    held = support.gate("slow")
    sched = _scheduler(sqlite_url, threads=True)
    spec = _spec("slow", support.gated, 60, path=str(log), tag="slow", gate="slow")
    install_jobs(sched, [spec], make_engine(sqlite_url))
    with caplog.at_level(logging.INFO, logger="scheduler.daemon"):
        sched.start()
        try:
            clock.shift(60)
            sched.step()  # starts in the daemon's thread pool and waits at the gate
            assert held.started.wait(support.GATE_TIMEOUT)
            clock.shift(60)
            sched.step()  # due again while the first run is still going
            assert "job slow is still running; this run is skipped" in caplog.text
            assert sched.get_job("slow").next_run_time == T0 + 3 * MINUTE  # still scheduled
        finally:
            held.release.set()
            sched.shutdown(wait=True)
    assert support.tags(log) == ["slow:start", "slow:end"]  # one run, never two at once
    assert support.runs(log, "slow:start") == [T0 + MINUTE]


def test_crawl_groups_share_one_worker_and_a_group_queued_behind_a_long_crawl_still_runs(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    # Groups share one crawl worker and fall due together; the second waits for the first.
    # A crawl longer than misfire_grace_seconds must not make the waiting group miss its run
    # (it would miss it at every interval: that group would never be crawled).
    log = tmp_path / "runs.log"
    cfg_text = CONFIG.replace("misfire_grace_seconds = 900", "misfire_grace_seconds = 1")
    crawls = [
        dataclasses.replace(
            s, func=support.gated, kwargs={"path": str(log), "tag": s.id, "gate": "crawl"}
        )
        for s in _planned(sqlite_url, log, cfg_text, ["crawl:fast", "crawl:slow"])
    ]
    held = support.gate("crawl")
    sched = _scheduler(sqlite_url, cfg_text, threads=True)
    install_jobs(sched, crawls, make_engine(sqlite_url))
    with caplog.at_level(logging.INFO):
        sched.start()
        try:
            sched.step()  # both groups are due now (new jobs run at start)
            assert held.started.wait(support.GATE_TIMEOUT)
            clock.shift(10 * MINUTE)  # the first crawl takes ten minutes
            first = support.tags(log)
            assert len(first) == 1  # the other group waits for the crawl worker
        finally:
            held.release.set()
            sched.shutdown(wait=True)  # waits for the queued crawl too
    second = ({"crawl:fast:start", "crawl:slow:start"} - set(first)).pop()
    assert support.runs(log, second) == [T0 + 10 * MINUTE]  # ten minutes late, and it ran
    assert "missed its run time" not in caplog.text


def test_restart_resumes_jobs_from_the_job_store(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    log = tmp_path / "runs.log"
    hourly = _spec("hourly", support.record, 3600, path=str(log), tag="hourly")
    overdue = _spec("overdue", support.record, 3600, path=str(log), tag="overdue")

    first = _scheduler(sqlite_url)
    install_jobs(first, [hourly, overdue], make_engine(sqlite_url))
    first.start(paused=True)
    planned = first.get_job("hourly").next_run_time
    assert planned == T0 + dt.timedelta(hours=1)
    first.shutdown()
    # the daemon was down when this one was due (within misfire_grace_time)
    store = SQLAlchemyJobStore(engine=make_engine(sqlite_url), tablename=JOBS_TABLE)
    job = store.lookup_job("overdue")
    job.next_run_time = T0 - 5 * MINUTE
    store.update_job(job)

    clock.shift(10)  # a fresh plan now would give a later "next run" than the stored one
    second = _scheduler(sqlite_url)
    install_jobs(second, [hourly, overdue], make_engine(sqlite_url))
    second.start()
    try:
        assert second.get_job("hourly").next_run_time == planned
        second.step()
        second.step()
        assert support.runs(log, "overdue") == [T0 + dt.timedelta(seconds=10)]  # once on resume
        assert support.runs(log, "hourly") == []
        assert second.get_job("overdue").next_run_time == T0 + 55 * MINUTE
    finally:
        second.shutdown()


def test_a_digest_stored_with_a_plain_cron_trigger_keeps_its_schedule(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    # Earlier versions stored the daily jobs with APScheduler's CronTrigger: the first restart
    # on DailyTrigger must not drop the digest that is owed (the daemon was down at 07:30).
    log = tmp_path / "runs.log"
    (daily,) = _planned(sqlite_url, log, only=["digest"])
    assert isinstance(daily.trigger, DailyTrigger)
    before = dataclasses.replace(daily, trigger=CronTrigger(hour=7, minute=30, timezone=MOSCOW))
    first = _scheduler(sqlite_url)
    install_jobs(first, [before], make_engine(sqlite_url))
    first.start(paused=True)
    first.shutdown()
    clock.move_to(dt.datetime(2026, 3, 29, 7, 35, tzinfo=MOSCOW))
    second = _scheduler(sqlite_url)
    install_jobs(second, [daily], make_engine(sqlite_url))
    second.start()
    try:
        assert isinstance(second.get_job("digest").trigger, DailyTrigger)
        second.step()
        assert support.runs(log, "digest") == [dt.datetime(2026, 3, 29, 7, 35, tzinfo=MOSCOW)]
    finally:
        second.shutdown()


def test_changed_trigger_replaces_and_stale_jobs_are_removed(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    log = str(tmp_path / "runs.log")
    first = _scheduler(sqlite_url)
    install_jobs(
        first,
        [
            _spec("a", support.record, 3600, path=log, tag="a"),
            _spec("gone", support.record, 3600, path=log, tag="gone"),
        ],
        make_engine(sqlite_url),
    )
    first.start(paused=True)
    first.shutdown()
    second = _scheduler(sqlite_url)
    install_jobs(
        second, [_spec("a", support.record, 60, path=log, tag="a")], make_engine(sqlite_url)
    )
    second.start(paused=True)
    try:
        assert [j.id for j in second.get_jobs()] == ["a"]
        job = second.get_job("a")
        assert job.trigger.interval == dt.timedelta(seconds=60)
        assert job.next_run_time == T0 + MINUTE  # the new interval, not the stored hour
    finally:
        second.shutdown()


def test_undelivered_digest_is_retried_later_and_the_retry_survives_a_restart(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    log = tmp_path / "runs.log"
    daily = JobSpec(
        "digest",
        support.undeliverable,
        IntervalTrigger(hours=24),
        {"path": str(log)},
        run_first_at_start=True,
    )
    sched = _scheduler(sqlite_url)
    install_jobs(sched, [daily], make_engine(sqlite_url))
    sched.start()
    try:
        sched.step()  # the mail server refuses: DeliveryError
        (retry,) = _retries(sched)
        assert retry.kwargs == {"path": str(log)}
        assert retry.next_run_time == T0 + 30 * MINUTE
    finally:
        sched.shutdown()
    again = _scheduler(sqlite_url)
    install_jobs(again, [daily], make_engine(sqlite_url))
    again.start()
    try:
        (kept,) = _retries(again)  # still owed after a restart
        assert kept.next_run_time == T0 + 30 * MINUTE
        clock.shift(30 * MINUTE)
        again.step()  # the retry runs, is refused again, and leaves one retry after it
        (following,) = _retries(again)
        assert following.next_run_time == T0 + 60 * MINUTE
    finally:
        again.shutdown()
    assert support.runs(log, "digest") == [T0, T0 + 30 * MINUTE]


def test_no_retry_when_the_daily_digest_comes_first(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    sched = _scheduler(sqlite_url)
    sched.add_job(
        support.undeliverable,
        IntervalTrigger(hours=24),
        id="digest",
        kwargs={"path": str(tmp_path / "runs.log")},
        next_run_time=T0 + 20 * MINUTE,
    )
    sched.start(paused=True)
    try:
        JobEvents(sched)(
            JobExecutionEvent(
                EVENT_JOB_ERROR, "digest-retry", "default", T0, exception=DeliveryError("down")
            )
        )
        assert _retries(sched) == []  # the daily run, in 20 minutes, carries the stories
    finally:
        sched.shutdown()


def test_a_digest_that_fails_before_the_scheduler_moves_it_on_is_still_retried(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    # A digest that fails at once (connection refused) can be reported from the scheduler's
    # own thread while the job still shows the run that just failed as its next run time.
    sched = _scheduler(sqlite_url)
    failed_at = T0 - dt.timedelta(seconds=1)
    sched.add_job(
        support.undeliverable,
        IntervalTrigger(hours=24),
        id="digest",
        kwargs={"path": str(tmp_path / "runs.log")},
        next_run_time=failed_at,
    )
    sched.start(paused=True)
    try:
        events = JobEvents(sched)
        events(
            JobExecutionEvent(
                EVENT_JOB_ERROR, "digest", "default", failed_at, exception=DeliveryError("down")
            )
        )
        (retry,) = _retries(sched)  # not taken for "the daily run comes first"
        assert retry.next_run_time == T0 + 30 * MINUTE
    finally:
        sched.shutdown()


def test_a_digest_retry_that_fails_at_once_is_retried_again(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture
) -> None:
    # A pool executor reports a job that failed before add_done_callback ran from the
    # scheduler's own thread, before the scheduler has settled the job; the synchronous
    # executor always does, which makes that order certain. Settling a one-off job removes it.
    log = tmp_path / "runs.log"
    sched = _scheduler(sqlite_url)
    sched.add_job(
        support.undeliverable,
        IntervalTrigger(hours=24),
        id="digest",
        kwargs={"path": str(log)},
        next_run_time=T0 + dt.timedelta(hours=20),
    )
    sched.add_job(  # as left by an earlier failed digest (the id of earlier versions)
        support.undeliverable,
        "date",
        run_date=T0,
        id="digest-retry",
        kwargs={"path": str(log)},
    )
    sched.start()
    try:
        sched.step()
        assert support.runs(log, "digest") == [T0]
        (retry,) = _retries(sched)  # the failed retry is followed by another one
        assert retry.id != "digest-retry"
        assert retry.next_run_time == T0 + 30 * MINUTE
    finally:
        sched.shutdown()


def _crawl_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n[schedule]\ncrawl_interval_minutes = 30\n'
        "[crawl]\nallow_private_addresses = true\n"
        '[[sources]]\nname = "local"\nurl = "http://127.0.0.1:9/feed.xml"\nkind = "feed"\n'
    )
    return path


LOCK_HOLDER = (
    "import sys, time\nfrom pathlib import Path\nfrom scheduler.lock import run_lock\n"
    "with run_lock(sys.argv[1], 'crawl', fallback_dir=Path('.')):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(3600)\n"
)


@pytest.mark.slow
def test_the_daemons_crawl_skips_when_a_cron_crawl_holds_the_lock(
    sqlite_url: str, tmp_path: Path, clock: TimeMachineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    migrated(sqlite_url)[0].dispose()
    cfg_path = _crawl_config(tmp_path, sqlite_url)
    cfg = parse_config(cfg_path.read_text(), cfg_path)
    (crawl,) = [
        s
        for s in plan_jobs(cfg, config_path=str(cfg_path), database_url=sqlite_url)
        if s.id == "crawl"
    ]
    # A `newsmon crawl` from cron is running: it holds the crawl lock and keeps it.
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, sqlite_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        sched = _scheduler(sqlite_url)
        install_jobs(sched, [crawl], make_engine(sqlite_url))
        with caplog.at_level(logging.INFO):
            sched.start()
            try:
                sched.step()  # the real crawl job: `newsmon crawl` in a subprocess, exit 4
                assert sched.get_job("crawl").next_run_time == T0 + 30 * MINUTE
            finally:
                sched.shutdown()
        # It came back while the lock was still held: it gave up, it did not wait.
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait()
    assert "crawl skipped: another crawl is still running on this database" in caplog.text
    assert "job crawl done" in caplog.text and "job crawl failed" not in caplog.text


def _newsmon(*args: str, cwd: Path) -> list[str]:
    return [sys.executable, "-m", "scheduler.cli", "--config", str(cwd / "newsmon.toml"), *args]


class _Stderr:
    """A process's stderr, read by a thread: waiting for a line has a deadline even when the
    process prints nothing (a bare readline() would block until the suite's timeout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put("")  # end of output

    def wait_for(self, needle: str, timeout: float = 60) -> bool:
        while needle not in self.text:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                return False
            if not line:
                return False
            self.text += line
        return True

    def rest(self) -> str:
        """Everything, once the process has ended."""
        self._thread.join(timeout=60)
        while not self._lines.empty():
            self.text += self._lines.get()
        return self.text


def _init(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "newsmon.toml").write_text(
        '[storage]\nurl = "sqlite:///newsmon.db"\n[digest]\nrecipients = ["a@example.org"]\n'
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run(_newsmon("init", cwd=tmp_path), check=True, capture_output=True, env=env)
    return env


def _start_daemon(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], _Stderr]:
    daemon = subprocess.Popen(
        _newsmon("schedule", cwd=tmp_path),
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a process group of its own, as a terminal gives it
    )
    assert daemon.stderr is not None
    return daemon, _Stderr(daemon.stderr)


def _stopped(daemon: subprocess.Popen[str], err: _Stderr) -> str:
    """Its output once it exited by itself (a hang fails the test, it does not stall it)."""
    try:
        daemon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
        pytest.fail("the daemon did not stop:\n" + err.rest())
    return err.rest()


def _stray_tracebacks(output: str) -> bool:
    """A traceback other than a failed job's, which APScheduler logs with the job's name (the
    crawl job fails here: the config has no sources)."""
    return "KeyboardInterrupt" in output or output.count("Traceback") != output.count(
        "raised an exception"
    )


@pytest.mark.slow
def test_schedule_process_lists_jobs_refuses_a_second_daemon_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    env = _init(tmp_path)
    daemon, err = _start_daemon(tmp_path, env)
    try:
        assert err.wait_for("Scheduler started"), err.text

        second = subprocess.run(
            _newsmon("schedule", cwd=tmp_path), capture_output=True, text=True, env=env, timeout=60
        )
        assert second.returncode == 4, second.stderr
        assert "another newsmon schedule is running" in second.stderr
        # (that it gives up at once is shown in test_lock.py, without the CLI's start-up time)

        listed = subprocess.run(
            _newsmon("schedule", "--list", cwd=tmp_path),
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert listed.returncode == 0
        names = [line.split()[0] for line in listed.stdout.splitlines()]
        assert names == ["crawl", "digest", "housekeeping"]
        assert "next run" in listed.stdout and "planned" not in listed.stdout

        daemon.send_signal(signal.SIGTERM)
        rest = _stopped(daemon, err)
        assert daemon.returncode == 0, rest
        assert "SIGTERM received: stopping after the running job" in rest
        assert "scheduler stopped" in rest and not _stray_tracebacks(rest)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


@pytest.mark.slow
def test_ctrl_c_stops_the_daemon_without_a_traceback(tmp_path: Path) -> None:
    env = _init(tmp_path)
    daemon, err = _start_daemon(tmp_path, env)
    try:
        assert err.wait_for("Scheduler started"), err.text
        os.killpg(daemon.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        rest = _stopped(daemon, err)
        assert daemon.returncode == 0, rest
        assert "SIGINT received: stopping after the running job" in rest
        assert "scheduler stopped" in rest and not _stray_tracebacks(rest)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
