"""The daemon's job plan: which jobs the config asks for, with plain, picklable arguments.

It only plans: every value it reads (times, time zone, intervals) was checked when the config
was loaded (scheduler/config.py), so a config that loads always plans. See
:mod:`scheduler.daemon` for how the jobs are installed and run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler import jobs
from scheduler.config import Config, clock_time

CRAWL_EXECUTOR = "crawl"


@dataclass(frozen=True)
class JobSpec:
    """One job the daemon should have. ``func`` must be a module-level callable."""

    id: str
    func: Callable[..., None]
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)
    executor: str = "default"
    name: str | None = None
    run_first_at_start: bool = False  # when the job is new: run now, not after one interval
    # Run however late (no misfire_grace_time): for jobs that queue for a shared worker, where
    # waiting behind another job is expected and must not count as a missed run.
    run_late: bool = False


class DailyTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 has no type hints
    """Once a day at a wall-clock time (``hour``, ``minute``) in ``timezone``, DST days too.

    APScheduler 3's CronTrigger fires at both instants of a local time that occurs twice when
    the clocks go back (its documented DST behaviour): a digest at 02:30 in Europe/Berlin went
    out twice on the last Sunday of October. This skips the second instant, as cron(8) does.
    A time that does not exist when the clocks go forward still fires once, an hour later by
    the new clock. Kept as a subclass (its ``str`` is the cron trigger's) because APScheduler
    3 has no option for it; the job store pickles a reference to it, so it stays here.
    """

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        upcoming: dt.datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if (
            upcoming is not None
            and previous_fire_time is not None
            and _wall_clock(upcoming, self.timezone)
            == _wall_clock(previous_fire_time, self.timezone)
        ):
            upcoming = super().get_next_fire_time(upcoming, upcoming)
        return upcoming


def _wall_clock(when: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return when.astimezone(tz).replace(tzinfo=None, fold=0)


def plan_jobs(cfg: Config, *, config_path: str | None, database_url: str) -> list[JobSpec]:
    """The jobs the config asks for (plain, picklable arguments only)."""
    sched = cfg.schedule
    tz = ZoneInfo(cfg.digest.timezone)
    base = {"config_path": config_path, "database_url": database_url}
    timeout = float(sched.crawl_timeout_minutes * 60)
    interval = IntervalTrigger(minutes=sched.crawl_interval_minutes, timezone=tz)
    groups: dict[str, list[str]] = {}
    for src in cfg.enabled_sources():
        groups.setdefault(src.group, []).append(src.name)
    specs: list[JobSpec] = []
    if len(groups) <= 1:
        specs.append(
            JobSpec(
                "crawl",
                jobs.crawl_job,
                interval,
                {**base, "timeout_seconds": timeout},
                CRAWL_EXECUTOR,
                "crawl all enabled sources",
                run_first_at_start=True,
                run_late=True,
            )
        )
    else:
        for group, names in sorted(groups.items()):
            kwargs = {**base, "timeout_seconds": timeout, "sources": list(names), "group": group}
            specs.append(
                JobSpec(
                    f"crawl:{group}",
                    jobs.crawl_job,
                    interval,
                    kwargs,
                    CRAWL_EXECUTOR,
                    f"crawl source group {group}",
                    run_first_at_start=True,
                    run_late=True,
                )
            )
    send = clock_time(cfg.digest.send_time)
    specs.append(
        JobSpec(
            "digest",
            jobs.digest_job,
            DailyTrigger(hour=send.hour, minute=send.minute, timezone=tz),
            dict(base),
            name="daily digest",
        )
    )
    housekeeping = clock_time(sched.housekeeping_time)
    specs.append(
        JobSpec(
            "housekeeping",
            jobs.housekeeping_job,
            DailyTrigger(hour=housekeeping.hour, minute=housekeeping.minute, timezone=tz),
            dict(base),
            name="retention and database maintenance",
        )
    )
    return specs
