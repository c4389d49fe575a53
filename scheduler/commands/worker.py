"""``newsmon worker [--until-empty] [--frontier URL]``: fetch and store from the fleet's frontier.

Takes the article requests fleet discovery (``newsmon crawl`` with ``[fleet]``) pushed,
fetches, extracts, scores, dedups and stores them, politely for the whole fleet. Runs until
stopped (SIGTERM: finishes what is in flight, then exits 0) or, with ``--until-empty``, until
nothing is queued or held by any worker. Any number of workers, on any machine, may share one
frontier and one PostgreSQL database.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TextIO

from scheduler.context import Context
from scheduler.crawljob import build_crawl_job
from scheduler.fleetconfig import frontier_url, with_frontier
from storage.exceptions import ConfigError

logger = logging.getLogger("newsmon.worker")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker",
        help="fetch and store article requests from the fleet's Redis frontier",
        description="Take article requests from the Redis frontier ([fleet] redis_url or "
        "--frontier), fetch, extract, score, deduplicate and store them. SIGTERM finishes the "
        "requests in flight, then exits. Exit status 2 without a reachable frontier.",
    )
    p.add_argument(
        "--until-empty",
        action="store_true",
        help="exit once nothing is queued or held by any worker",
    )
    p.add_argument("--frontier", metavar="URL", help="the Redis frontier (default: [fleet])")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    cfg = ctx.config
    if frontier_url(cfg, args.frontier) is None:
        raise ConfigError(
            "no frontier: set [fleet] redis_url (or pass --frontier URL)",
            path=str(cfg.path) if cfg.path else None,
            key="fleet.redis_url",
        )
    # Every source is known to a worker (requests name theirs), enabled or not.
    job = build_crawl_job(cfg, [s.name for s in cfg.sources])
    job = with_frontier(job, cfg, args.frontier)
    ctx.migrated_engine()
    from crawler.fleet.worker import run_worker

    run_id = run_worker(job, until_empty=args.until_empty)
    logger.info("worker stopped; crawl run %d", run_id)
    return 0
