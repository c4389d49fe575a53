"""``newsmon crawl [--source NAME ...] [--max-articles N]``: one polite, incremental crawl.

Holds the "crawl" run lock (a second crawl on the same database exits 4). Interactive runs
print a line per article and a summary table; under cron (no TTY) only log lines are written.
Exit status 3 when every source failed; 130 (Ctrl-C) or 143 (SIGTERM) when a signal stopped
it (the run is recorded as interrupted; see crawler/interrupt.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from typing import TextIO

from crawler.runner import CrawlSummary, run_crawl
from scheduler.context import Context
from scheduler.crawljob import build_crawl_job
from scheduler.fleetconfig import with_frontier
from scheduler.lock import run_lock
from storage.exceptions import AllSourcesFailedError, RunInterruptedError
from storage.models import utcnow
from storage.skips import counts_only, describe

logger = logging.getLogger("newsmon.crawl")

COLUMNS = ("fetched", "new", "relevant", "duplicates", "not_modified", "errors")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "crawl",
        help="crawl the configured sources once",
        description="Fetch new articles from the enabled sources (or the named ones), extract, "
        "score, deduplicate and store them. Articles already stored are never fetched again. "
        "Exit status 3 when every source failed, 4 when another crawl is running; Ctrl-C "
        "stops after the pages in flight (twice: at once), exit status 130 (143 for SIGTERM).",
    )
    p.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="crawl only this source (repeatable; also works for disabled sources)",
    )
    p.add_argument(
        "--max-articles",
        type=int,
        metavar="N",
        help="fetch at most N articles per source in this run",
    )
    p.add_argument(
        "--frontier",
        metavar="URL",
        help="fleet discovery: push new article requests to this Redis frontier for "
        "`newsmon worker` (default: [fleet] redis_url)",
    )
    p.set_defaults(func=run)


def sources(count: int) -> str:
    """``1 source``, ``2 sources``."""
    return f"{count} source{'' if count == 1 else 's'}"


def summary_table(summary: CrawlSummary) -> str:
    """The summary as a fixed-width table: one row per source and a total."""
    rows = [(name, c) for name, c in summary.per_source.items()]
    width = max([len("source"), len("total"), *(len(n) for n, _ in rows)])
    header = f"{'source':<{width}}  " + "  ".join(f"{c:>12}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for name, c in [*rows, ("total", summary.totals)]:
        cells = "  ".join(f"{getattr(c, col):>12}" for col in COLUMNS)
        lines.append(f"{name:<{width}}  {cells}")
    for name, c in rows:
        if c.last_error:
            lines.append(f"  {name}: last error: {c.last_error}")
    for name, c in rows:
        if counts_only(c.skipped):
            lines.append(f"  {name}: {c.new} new; not fetched: {describe(c.skipped, limit=9)}")
    lines.append(
        f"run {summary.run_id}: {summary.status} in {summary.elapsed:.1f}s "
        f"({sources(len(rows))}, {summary.totals.new} new, {summary.totals.relevant} relevant)"
    )
    return "\n".join(lines)


FLEET_ALERT_WINDOW = dt.timedelta(days=1)


def send_alerts(ctx: Context, since: dt.datetime, out: TextIO | None) -> None:
    """The immediate alerts of the stories this crawl stored (scheduler.alerts)."""
    from scheduler.alerts.service import AlertService, Sender
    from scheduler.alerts.webhook import WebhookSender
    from scheduler.mailer import smtp_mailer

    cfg = ctx.config
    opts = cfg.alerts
    mailer = None
    if opts.email:
        path = str(cfg.path) if cfg.path else None
        mailer = smtp_mailer(cfg.smtp, ctx.environ, config_path=path)
    webhook = None
    if opts.webhook_url:
        webhook = WebhookSender(
            opts.webhook_url, timeout=opts.timeout, user_agent=cfg.crawl.user_agent
        )
    who = Sender(
        cfg.digest.sender,
        opts.recipients or cfg.digest.recipients,
        cfg.digest.subject_prefix,
    )
    service = AlertService(ctx.write_sessions, opts, who, mailer=mailer, webhook=webhook)
    report = service.run(since)
    line = (
        f"alerts: {report.sent} sent, {report.resent} sent again, {report.failed} failed "
        f"(retried next crawl), {report.left_to_digest} left to the digest"
    )
    if out is not None:
        print(line, file=out, flush=True)
    else:
        logger.info("%s", line)


def run(args: argparse.Namespace, ctx: Context, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    cfg = ctx.config
    job = build_crawl_job(cfg, args.source, max_articles=args.max_articles)
    job = with_frontier(job, cfg, getattr(args, "frontier", None))
    ctx.migrated_engine()  # fail early, with `run newsmon init`, on an unprepared database
    with run_lock(cfg.database_url, "crawl", fallback_dir=cfg.base_dir):
        started = utcnow()
        if ctx.interactive:
            print(f"crawling {sources(len(job.sources))}...", file=out, flush=True)

            def progress(line: str) -> None:
                print(line, file=out, flush=True)

            summary = run_crawl(job, progress=progress)
            print(summary_table(summary), file=out, flush=True)
        else:
            summary = run_crawl(job)
            t = summary.totals
            logger.info(
                "crawl run %d %s: %s, fetched %d, new %d, relevant %d, duplicates %d, "
                "not modified %d, errors %d",
                summary.run_id,
                summary.status,
                sources(len(summary.per_source)),
                t.fetched,
                t.new,
                t.relevant,
                t.duplicates,
                t.not_modified,
                t.errors,
            )
            for name, c in summary.per_source.items():
                if c.failed:
                    logger.warning("source %s failed: %s", name, c.last_error)
                elif counts_only(c.skipped):
                    logger.info(
                        "source %s: %d new; not fetched: %s",
                        name,
                        c.new,
                        describe(c.skipped, limit=9),
                    )
        if cfg.alerts.active and summary.interruption is None:
            since = started
            if job.fleet_url:
                # Fleet discovery stores nothing itself: the workers store what it queued after
                # it returns, so it alerts what the fleet stored in the last day (stories alerted
                # before are skipped; the window is read through an index).
                since = started - FLEET_ALERT_WINDOW
            send_alerts(ctx, since, out if ctx.interactive else None)
    if summary.interruption is not None:
        raise RunInterruptedError(
            f"crawl run {summary.run_id} interrupted by {summary.interruption.signal_name}; "
            f"the {summary.totals.new} new articles stored are kept",
            exit_code=summary.interruption.exit_status,
        )
    if summary.status == "failed":
        raise AllSourcesFailedError(
            f"every source failed in crawl run {summary.run_id}; see `newsmon stats`"
        )
    return 0
