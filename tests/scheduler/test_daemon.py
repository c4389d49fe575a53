"""The scheduler daemon: job plan, running jobs on a real SQLAlchemy job store, surviving a
failing job, one instance per job, resuming from the job store after a restart, and the
`newsmon schedule` process itself (lock, --list, clean SIGTERM)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref, ref_to_obj

from scheduler.config import parse_config
from scheduler.daemon import JOBS_TABLE, JobEvents, install_jobs, make_scheduler
from scheduler.jobplan import JobSpec, plan_jobs
from storage.engine import make_engine
from storage.exceptions import DeliveryError
from tests.scheduler import daemon_support as jobs_for_tests

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


def _scheduler(url: str, cfg_text: str = CONFIG) -> BackgroundScheduler:
    cfg = parse_config(cfg_text, None)
    sched = make_scheduler(make_engine(url), cfg, scheduler_cls=BackgroundScheduler)
    assert isinstance(sched, BackgroundScheduler)
    return sched


def _retries(sched: BackgroundScheduler) -> list[Job]:
    return [j for j in sched.get_jobs() if j.id.startswith("digest-retry")]


def _spec(job_id: str, func: object, every: float, **kwargs: object) -> JobSpec:
    return JobSpec(job_id, func, IntervalTrigger(seconds=every), dict(kwargs))  # type: ignore[arg-type]


def test_runs_jobs_survives_a_failing_job_and_keeps_one_instance(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "runs.log"
    sched = _scheduler(db_url)
    specs = [
        _spec("ok", jobs_for_tests.record, 0.2, path=str(log), tag="ok"),
        _spec("fail", jobs_for_tests.fail, 0.3, path=str(log)),
        _spec("slow", jobs_for_tests.slow, 0.1, path=str(log), seconds=0.7),
    ]
    install_jobs(sched, specs, make_engine(db_url))
    with caplog.at_level(logging.INFO):
        sched.start()
        time.sleep(2.6)
        sched.shutdown(wait=True)
    oks, fails = jobs_for_tests.lines(log, "ok"), jobs_for_tests.lines(log, "fail")
    assert len(fails) >= 3  # the failing job keeps being scheduled
    assert len(oks) >= 6 and oks[-1] > fails[0]  # and the others keep running after it failed
    starts, ends = jobs_for_tests.lines(log, "start"), jobs_for_tests.lines(log, "end")
    assert len(starts) >= 2
    for nxt, prev_end in zip(starts[1:], ends, strict=False):
        assert nxt >= prev_end  # never two instances at once
    assert "job fail failed: RuntimeError: boom" in caplog.text
    assert "job slow is still running; this run is skipped" in caplog.text


def test_undelivered_digest_is_retried_later_and_the_retry_survives_a_restart(
    sqlite_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    daily = JobSpec(
        "digest",
        jobs_for_tests.undeliverable,
        IntervalTrigger(hours=24),
        {"path": str(log)},
        run_first_at_start=True,
    )
    sched = _scheduler(sqlite_url)
    install_jobs(sched, [daily], make_engine(sqlite_url))
    sched.start()
    try:
        deadline = time.monotonic() + 30  # polls: returns as soon as the job is there
        while not _retries(sched) and time.monotonic() < deadline:
            time.sleep(0.05)
        (retry,) = _retries(sched)
        assert retry.kwargs == {"path": str(log)}
        wait = retry.next_run_time - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=29) < wait <= dt.timedelta(minutes=30)
    finally:
        sched.shutdown()
    again = _scheduler(sqlite_url)
    install_jobs(again, [daily], make_engine(sqlite_url))
    again.start(paused=True)
    try:
        assert len(_retries(again)) == 1  # still owed after a restart
    finally:
        again.shutdown()


def test_a_digest_that_fails_before_the_scheduler_moves_it_on_is_still_retried(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A digest that fails at once (connection refused) can be reported from the scheduler's
    # own thread while the job still shows the run that just failed as its next run time.
    sched = _scheduler(sqlite_url)
    failed_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    sched.add_job(
        jobs_for_tests.undeliverable,
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
        wait = retry.next_run_time - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=29) < wait <= dt.timedelta(minutes=30)
    finally:
        sched.shutdown()


def test_restart_resumes_jobs_from_the_job_store(sqlite_url: str, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    hourly = _spec("hourly", jobs_for_tests.record, 3600, path=str(log), tag="hourly")
    overdue = _spec("overdue", jobs_for_tests.record, 3600, path=str(log), tag="overdue")

    first = _scheduler(sqlite_url)
    install_jobs(first, [hourly, overdue], make_engine(sqlite_url))
    first.start(paused=True)
    planned = first.get_job("hourly").next_run_time
    first.shutdown()
    # the daemon was down when this one was due (within misfire_grace_time)
    store = SQLAlchemyJobStore(engine=make_engine(sqlite_url), tablename=JOBS_TABLE)
    job = store.lookup_job("overdue")
    job.next_run_time = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    store.update_job(job)

    time.sleep(1.1)  # a fresh plan now would give a later "next run" than the stored one
    second = _scheduler(sqlite_url)
    install_jobs(second, [hourly, overdue], make_engine(sqlite_url))
    second.start()
    try:
        assert second.get_job("hourly").next_run_time == planned
        deadline = time.monotonic() + 30
        while not jobs_for_tests.lines(log, "overdue") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert len(jobs_for_tests.lines(log, "overdue")) == 1  # run once on resume
        assert jobs_for_tests.lines(log, "hourly") == []
    finally:
        second.shutdown()


def test_changed_trigger_replaces_and_stale_jobs_are_removed(
    sqlite_url: str, tmp_path: Path
) -> None:
    log = str(tmp_path / "runs.log")
    first = _scheduler(sqlite_url)
    install_jobs(
        first,
        [
            _spec("a", jobs_for_tests.record, 3600, path=log, tag="a"),
            _spec("gone", jobs_for_tests.record, 3600, path=log, tag="gone"),
        ],
        make_engine(sqlite_url),
    )
    first.start(paused=True)
    first.shutdown()
    second = _scheduler(sqlite_url)
    install_jobs(
        second,
        [_spec("a", jobs_for_tests.record, 60, path=log, tag="a")],
        make_engine(sqlite_url),
    )
    second.start(paused=True)
    try:
        assert [j.id for j in second.get_jobs()] == ["a"]
        job = second.get_job("a")
        assert job.trigger.interval == dt.timedelta(seconds=60)
        assert job.next_run_time - dt.datetime.now(dt.UTC) < dt.timedelta(seconds=61)
    finally:
        second.shutdown()


def _newsmon(*args: str, cwd: Path) -> list[str]:
    return [sys.executable, "-m", "scheduler.cli", "--config", str(cwd / "newsmon.toml"), *args]


@pytest.mark.slow
def test_schedule_process_lists_jobs_refuses_a_second_daemon_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    (tmp_path / "newsmon.toml").write_text(
        '[storage]\nurl = "sqlite:///newsmon.db"\n[digest]\nrecipients = ["a@example.org"]\n'
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run(_newsmon("init", cwd=tmp_path), check=True, capture_output=True, env=env)
    daemon = subprocess.Popen(
        _newsmon("schedule", cwd=tmp_path), stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert daemon.stderr is not None
        seen = ""
        deadline = time.monotonic() + 20
        while "Scheduler started" not in seen and time.monotonic() < deadline:
            seen += daemon.stderr.readline()
        assert "Scheduler started" in seen

        second = subprocess.run(
            _newsmon("schedule", cwd=tmp_path), capture_output=True, text=True, env=env, timeout=30
        )
        assert second.returncode == 4, second.stderr
        assert "another newsmon schedule is running" in second.stderr
        # (how fast it gives up is measured in test_lock.py, without the CLI's start-up time)

        listed = subprocess.run(
            _newsmon("schedule", "--list", cwd=tmp_path), capture_output=True, text=True, env=env
        )
        assert listed.returncode == 0
        names = [line.split()[0] for line in listed.stdout.splitlines()]
        assert names == ["crawl", "digest", "housekeeping"]
        assert "next run" in listed.stdout and "planned" not in listed.stdout

        daemon.send_signal(signal.SIGTERM)
        rest = daemon.communicate(timeout=60)[1]
        assert daemon.returncode == 0, seen + rest
        assert "SIGTERM received: stopping after the running job" in rest
        assert "scheduler stopped" in rest
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_a_crawl_group_queued_behind_a_long_crawl_still_runs(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Groups share one crawl worker and fall due together; the second waits for the first.
    # A crawl longer than misfire_grace_seconds must not make the waiting group miss its run
    # (it would miss it at every interval: that group would never be crawled).
    log = tmp_path / "runs.log"
    cfg_text = CONFIG.replace("misfire_grace_seconds = 900", "misfire_grace_seconds = 1")
    cfg = parse_config(cfg_text, None)
    planned = plan_jobs(cfg, config_path=None, database_url=sqlite_url)
    crawls = [s for s in planned if s.id.startswith("crawl:")]
    assert [s.id for s in crawls] == ["crawl:fast", "crawl:slow"]
    specs = [
        dataclasses.replace(s, func=jobs_for_tests.slow, kwargs={"path": str(log), "seconds": 2.5})
        for s in crawls
    ]
    sched = _scheduler(sqlite_url, cfg_text)
    install_jobs(sched, specs, make_engine(sqlite_url))
    with caplog.at_level(logging.INFO):
        sched.start()
        try:
            deadline = time.monotonic() + 30
            while len(jobs_for_tests.lines(log, "end")) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            sched.shutdown(wait=True)
    assert "missed its run time" not in caplog.text
    assert len(jobs_for_tests.lines(log, "start")) == 2  # both groups crawled, one after the other


def test_a_digest_retry_that_fails_at_once_is_retried_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A pool executor reports a job that failed before add_done_callback ran from the
    # scheduler's own thread, before the scheduler has settled the job; the debug executor
    # always does, which makes that order certain. Settling a one-off job removes it.
    log = tmp_path / "runs.log"
    sched = _scheduler(sqlite_url)
    sched.remove_executor("default")
    sched.add_executor(DebugExecutor(), "default")
    sched.add_job(
        jobs_for_tests.undeliverable,
        IntervalTrigger(hours=24),
        id="digest",
        kwargs={"path": str(log)},
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(hours=20),
    )
    sched.add_job(  # as left by an earlier failed digest
        jobs_for_tests.undeliverable,
        "date",
        run_date=dt.datetime.now(dt.UTC),
        id="digest-retry",
        kwargs={"path": str(log)},
    )
    sched.start()
    try:
        deadline = time.monotonic() + 30
        while not jobs_for_tests.lines(log, "digest") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        retries = _retries(sched)
        assert len(retries) == 1  # the failed retry is followed by another one
        wait = retries[0].next_run_time - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=29) < wait <= dt.timedelta(minutes=30)
    finally:
        sched.shutdown()
