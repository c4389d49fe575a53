"""Crawl runs: start/finish with per-source counts, source health, stale-run detection."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_scope
from storage.models import CrawlRun, CrawlRunSource, Source
from storage.queries import recent_runs, source_stats
from storage.records import SourceCounts
from storage.runs import finish_run, mark_stale_runs, register_source, start_run


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def test_a_run_is_recorded_with_per_source_counts(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        register_source(s, "alpha", "https://alpha.example/rss", "feed")
        run_id = start_run(s, ["alpha", "beta"], os.getpid())
    with session_scope(sessions) as s:
        run = s.get_one(CrawlRun, run_id)
        assert run.status == "running" and run.finished_at is None
        assert run.sources == ["alpha", "beta"]
        finish_run(
            s,
            run_id,
            "partial",
            {"newsmon/dedup/near": 2},
            {
                "alpha": SourceCounts(discovered=10, fetched=8, new=7, relevant=3, duplicates=1),
                "beta": SourceCounts(errors=1, last_error="HTTP 500 on https://beta.example/"),
            },
        )
    with session_scope(sessions) as s:
        run = s.get_one(CrawlRun, run_id)
        assert run.status == "partial" and run.finished_at is not None
        assert run.stats is not None and run.stats["newsmon/dedup/near"] == 2
        rows = {r.source: r for r in s.scalars(select(CrawlRunSource))}
        assert (rows["alpha"].fetched, rows["alpha"].new, rows["alpha"].relevant) == (8, 7, 3)
        assert rows["beta"].last_error == "HTTP 500 on https://beta.example/"
        [summary] = recent_runs(s)
        assert (summary.fetched, summary.new, summary.errors) == (8, 7, 1)


def test_source_health_tracks_failure_streaks(sessions: sessionmaker[Session]) -> None:
    failing = SourceCounts(errors=2, last_error="DNS lookup failed")
    for _ in range(2):
        with session_scope(sessions) as s:
            run_id = start_run(s, ["beta"], os.getpid())
            finish_run(s, run_id, "failed", {}, {"beta": failing})
    with session_scope(sessions) as s:
        beta = s.scalars(select(Source).where(Source.name == "beta")).one()
        assert beta.consecutive_failures == 2
        assert beta.last_error == "DNS lookup failed" and beta.last_success_at is None
        run_id = start_run(s, ["beta"], os.getpid())
        # A 304 on the feed is a success: nothing new, but the source answered.
        finish_run(s, run_id, "ok", {}, {"beta": SourceCounts(not_modified=1)})
    with session_scope(sessions) as s:
        [stat] = source_stats(s)
        assert stat.name == "beta" and stat.consecutive_failures == 0
        assert stat.last_error is None and stat.last_success_at is not None


def test_finishing_twice_is_harmless_and_bad_status_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with session_scope(sessions) as s:
        run_id = start_run(s, ["alpha"], os.getpid())
        finish_run(s, run_id, "ok", {}, {"alpha": SourceCounts(fetched=1)})
        finish_run(s, run_id, "ok", {}, {"alpha": SourceCounts(fetched=2)})
        assert s.scalar(select(CrawlRunSource.fetched)) == 2
        with pytest.raises(ValueError, match="status"):
            finish_run(s, run_id, "running", {}, {})


def test_stale_runs_of_dead_processes_are_marked_killed(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        dead = start_run(s, ["alpha"], _dead_pid())
        alive = start_run(s, ["alpha"], os.getpid())
        elsewhere = start_run(s, ["alpha"], _dead_pid())
        s.get_one(CrawlRun, elsewhere).stats = {"host": "another-machine.invalid"}
    with session_scope(sessions) as s:
        assert mark_stale_runs(s) == 1
    with session_scope(sessions) as s:
        assert s.get_one(CrawlRun, dead).status == "killed"
        assert s.get_one(CrawlRun, dead).finished_at is not None
        assert s.get_one(CrawlRun, alive).status == "running"
        # A pid on another host cannot be checked from here: left alone.
        assert s.get_one(CrawlRun, elsewhere).status == "running"
        assert mark_stale_runs(s) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times via /proc")
def test_a_reused_pid_does_not_keep_an_old_run_alive(sessions: sessionmaker[Session]) -> None:
    # The run's process died long ago and its pid now belongs to a newer process (here: us).
    with session_scope(sessions) as s:
        old = start_run(s, ["alpha"], os.getpid())
        s.get_one(CrawlRun, old).started_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        current = start_run(s, ["alpha"], os.getpid())
    with session_scope(sessions) as s:
        assert mark_stale_runs(s) == 1
        assert s.get_one(CrawlRun, old).status == "killed"
        assert s.get_one(CrawlRun, current).status == "running"


def test_the_digest_shows_a_failing_source_s_latest_error(
    sessions: sessionmaker[Session],
) -> None:
    """Not the alphabetically largest: "HTTP 503" sorts after "DNS ...", but came first."""
    from storage.digests import source_health

    for error in ("HTTP 503 on feed", "DNS lookup failed"):
        with session_scope(sessions) as s:
            run_id = start_run(s, ["beta"], os.getpid())
            finish_run(s, run_id, "failed", {}, {"beta": SourceCounts(errors=1, last_error=error)})
    with session_scope(sessions) as s:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        [beta] = source_health(s, since=None, until=until)
        assert beta.last_error == "DNS lookup failed"
