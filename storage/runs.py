"""Crawl-run records: start, finish (with per-source counts and source health), stale runs.

A run row is written ``running`` when a crawl starts, so a crawl that dies (OOM, kill -9,
reboot) leaves a trace; :func:`mark_stale_runs` later turns it into ``killed`` once its
process is gone. The host name is kept in ``stats["host"]`` because a pid means nothing
on another machine.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage._dialect import upsert_insert
from storage.models import CrawlRun, CrawlRunSource, Source, utcnow
from storage.records import SourceCounts

# interrupted: stopped by SIGINT or SIGTERM, what was stored until then kept (crawler/interrupt.py).
RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted", "killed")
FINAL_STATUSES = ("ok", "partial", "failed", "interrupted")
HOST_KEY = "host"
# Clock granularity between /proc boot time (whole seconds) and the run's start time.
PID_START_SLACK = dt.timedelta(seconds=5)


def start_run(session: Session, sources: list[str], pid: int) -> int:
    """Record a crawl of ``sources`` by process ``pid`` as ``running``; return its id."""
    run = CrawlRun(
        started_at=utcnow(),
        status="running",
        sources=list(sources),
        stats={HOST_KEY: socket.gethostname()},
        pid=pid,
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    stats: Mapping[str, Any],
    per_source: Mapping[str, SourceCounts],
    *,
    error: str | None = None,
) -> None:
    """Close run ``run_id`` with ``status`` (ok | partial | failed | interrupted), its stats
    and counts.

    Per-source counts go to ``crawl_run_sources`` (upsert: finishing twice is harmless) and
    each source's health in ``sources`` is updated by name: a source that yielded nothing
    usable counts as a failure, anything else resets its failure streak. An interrupted run
    says nothing about a source's health, which it leaves as it was.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {FINAL_STATUSES}, got {status!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise ValueError(f"no crawl run with id {run_id}")
    now = utcnow()
    merged: dict[str, Any] = dict(run.stats or {})
    merged.update(stats)
    run.stats = merged
    run.status = status
    run.finished_at = now
    if error is not None:
        run.error = error

    for name, counts in per_source.items():
        values = {
            "discovered": counts.discovered,
            "fetched": counts.fetched,
            "new": counts.new,
            "relevant": counts.relevant,
            "duplicates": counts.duplicates,
            "not_modified": counts.not_modified,
            "errors": counts.errors,
            "last_error": counts.last_error,
            "skipped": dict(counts.skipped) or None,
        }
        stmt = upsert_insert(session, CrawlRunSource.__table__).values(
            run_id=run_id, source=name, **values
        )
        session.execute(
            stmt.on_conflict_do_update(index_elements=["run_id", "source"], set_=values)
        )
        if status != "interrupted":
            _update_health(session, name, counts)
    session.flush()


def _update_health(session: Session, name: str, counts: SourceCounts) -> None:
    source = session.scalars(select(Source).where(Source.name == name)).first()
    if source is None:
        # The crawl knows sources by name only; register_source fills in url and kind.
        source = Source(name=name, url="", kind="", consecutive_failures=0)
        session.add(source)
    if counts.failed:
        source.last_error = counts.last_error or f"{counts.errors} error(s)"
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
    else:
        source.last_success_at = utcnow()
        source.last_error = None
        source.consecutive_failures = 0
    session.flush()


def register_source(session: Session, name: str, url: str, kind: str) -> None:
    """Insert or refresh a configured source's row (its health columns are left alone)."""
    stmt = upsert_insert(session, Source.__table__).values(
        name=name, url=url, kind=kind, created_at=utcnow(), consecutive_failures=0
    )
    session.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"url": url, "kind": kind})
    )


def _process_started_at(pid: int) -> dt.datetime | None:
    """When process ``pid`` started (Linux ``/proc``), or None when it cannot be told."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        # Field 22 (starttime, in clock ticks since boot) counts from after the ")" that ends
        # the command name, which may itself contain spaces.
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        seconds = int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _run_process_alive(pid: int, started_at: dt.datetime) -> bool:
    """Is the process that started this run still running?

    A live pid is not enough: after a reboot or a long time the number may belong to some
    other process, so a process that started after the run did is not the run's.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    began = _process_started_at(pid)
    return began is None or began <= started_at + PID_START_SLACK


def mark_stale_runs(session: Session) -> int:
    """Mark ``running`` rows of this host whose process is gone as ``killed``; return how many.

    Gone means: no such pid, or a pid now used by a process that started after the run.

    Runs started on another host are left alone: their pid cannot be checked from here.
    """
    host = socket.gethostname()
    count = 0
    runs = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
    for run in runs:
        run_host = (run.stats or {}).get(HOST_KEY)
        if run_host is not None and run_host != host:
            continue
        if run.pid is not None and _run_process_alive(run.pid, run.started_at):
            continue
        run.status = "killed"
        run.finished_at = utcnow()
        run.error = f"process {run.pid} on {run_host or host} ended without finishing the run"
        count += 1
    session.flush()
    return count
