"""``newsmon schedule``: run the daemon (APScheduler), or list its jobs with ``--list``.

Exit statuses: 0 stopped cleanly (SIGTERM/SIGINT) or listed, 2 config error, 4 another
daemon already runs on this database (they must not share the job store).
"""

from __future__ import annotations

import argparse

from scheduler.context import Context
from scheduler.daemon import describe_jobs, run_daemon
from scheduler.jobplan import plan_jobs
from storage.engine import make_engine


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schedule",
        help="run the scheduler daemon (crawl, digest, housekeeping)",
        description="Run crawls every [schedule] crawl_interval_minutes (each in a subprocess "
        "with a timeout), the digest daily at [digest] send_time in [digest] timezone, and "
        "housekeeping daily. Jobs are kept in the database, so a restart resumes them. "
        "SIGTERM or Ctrl-C stops the daemon after the running job.",
    )
    p.add_argument("--list", action="store_true", help="print the jobs and their next run times")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    cfg = ctx.config
    url = cfg.database_url
    config_path = str(cfg.path) if cfg.path else None
    specs = plan_jobs(cfg, config_path=config_path, database_url=url)
    if not args.list:
        ctx.migrated_engine()  # fail now, by name, when `newsmon init` was never run
        return run_daemon(cfg, config_path=config_path, database_url=url)
    engine = make_engine(url)
    try:
        lines = describe_jobs(engine, specs)
    finally:
        engine.dispose()
    if lines and not lines[0].stored:
        print("(the daemon has not run on this database yet; planned jobs:)")
    width = max((len(line.id) for line in lines), default=4)
    for line in lines:
        when = (
            line.next_run.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            if line.next_run
            else "paused"
        )
        print(f"{line.id:<{width}}  next run {when}  {line.trigger}  ({line.name})")
    return 0
