"""The daemon's jobs: module-level functions with plain arguments.

APScheduler's SQLAlchemy job store pickles a *reference* to each function
(``scheduler.jobs:crawl_job``) and its arguments, so these must stay importable under the
same names and take only strings and numbers. Each job loads the config afresh, so edits to
sources, SMTP or digest settings take effect at the next run without restarting the daemon.

A job that fails raises: APScheduler reports it as EVENT_JOB_ERROR (logged by the daemon)
and the daemon carries on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from scheduler.commands.digest import check_digest_config
from scheduler.config import DATABASE_ENV, load_config
from scheduler.digest.service import DigestService
from scheduler.lock import run_lock
from scheduler.mailer import smtp_mailer
from storage import housekeeping
from storage.engine import make_engine, make_session_factory, session_scope
from storage.exceptions import LockHeldError
from storage.runs import mark_stale_runs

logger = logging.getLogger(__name__)

# Exit statuses of `newsmon crawl` (see scheduler/cli.py).
EXIT_LOCK_HELD = LockHeldError.exit_code
# After a timeout: SIGTERM first (the crawl closes cleanly and records its run), SIGKILL after this.
TERMINATE_GRACE_SECONDS = 30.0


class JobTimeoutError(RuntimeError):
    """A job's subprocess ran past its timeout and was stopped."""


class CommandFailedError(RuntimeError):
    """A job's subprocess exited with a non-zero status."""

    def __init__(self, argv: Sequence[str], code: int) -> None:
        super().__init__(f"{' '.join(argv[-2:])} exited with status {code}")
        self.code = code


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop the child and everything it started (extraction workers).

    SIGTERM goes to the child alone, which stops its own workers: a crawl finishes the pages
    in flight and records its run as interrupted (crawler/interrupt.py); a second SIGTERM makes
    it stop at once. Then SIGKILL goes to its whole process group: whatever is left of it."""
    for wait in (grace, 10.0):
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    name: str = "job",
    grace: float = TERMINATE_GRACE_SECONDS,
) -> int:
    """Run ``argv`` in its own session with a timeout; log its output; return its status.

    The child gets a new session so that a Ctrl-C meant for the daemon does not cut a crawl
    short (the daemon waits for the running job instead), and so that on timeout the whole
    process group can be stopped.
    """
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        logger.error("%s: still running after %.0f s; stopping it", name, timeout)
        _kill_group(proc, grace)
        out, _ = proc.communicate()
        _log_output(name, out)
        raise JobTimeoutError(f"{name} timed out after {timeout:.0f} s and was stopped") from None
    except BaseException:
        _kill_group(proc, grace)
        raise
    _log_output(name, out)
    return proc.returncode


def _log_output(name: str, out: bytes | None) -> None:
    for line in (out or b"").decode("utf-8", "replace").splitlines():
        if line.strip():
            logger.info("%s | %s", name, line)


def crawl_command(config_path: str | None, sources: Sequence[str] = ()) -> list[str]:
    """The argv of the crawl subprocess (a Twisted reactor cannot restart in one process)."""
    argv = [sys.executable, "-m", "scheduler.cli"]
    if config_path:
        argv += ["--config", config_path]
    argv.append("crawl")
    for name in sources:
        argv += ["--source", name]
    return argv


def crawl_job(
    config_path: str | None,
    database_url: str,
    timeout_seconds: float,
    sources: Sequence[str] = (),
    group: str | None = None,
) -> None:
    """Run ``newsmon crawl`` (for ``sources``, or every enabled source) as a subprocess."""
    name = f"crawl[{group}]" if group else "crawl"
    env = dict(os.environ)
    # The URL goes through the environment, not argv: it may hold a password and argv is public.
    env[DATABASE_ENV] = database_url
    argv = crawl_command(config_path, sources)
    try:
        code = run_command(argv, timeout=timeout_seconds, env=env, name=name)
    except JobTimeoutError:
        _mark_stale(database_url)
        raise
    if code == EXIT_LOCK_HELD:
        logger.warning("%s skipped: another crawl is still running on this database", name)
        return
    if code != 0:
        raise CommandFailedError(["newsmon", "crawl"], code)
    logger.info("%s finished", name)


def _mark_stale(database_url: str) -> None:
    """Record a crawl that had to be killed as ``killed`` (its run row still says running)."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine, write=True)) as session:
            count = mark_stale_runs(session)
        if count:
            logger.warning("marked %d crawl run(s) as killed", count)
    finally:
        engine.dispose()


def digest_job(config_path: str | None, database_url: str) -> None:
    """Send the daily digest (in this process: no reactor involved)."""
    cfg = load_config(config_path, os.environ, database_url=database_url)
    check_digest_config(cfg, sending=True)
    mailer = smtp_mailer(cfg.smtp, os.environ, config_path=str(cfg.path) if cfg.path else None)
    engine = make_engine(cfg.database_url)
    try:
        with run_lock(cfg.database_url, "digest", fallback_dir=cfg.base_dir):
            writes = make_session_factory(engine, write=True)
            links = None
            if cfg.ui.base_url:
                from scheduler.desk.tokens import desk_secret, review_links

                links = review_links(cfg.ui.base_url, desk_secret(writes))
            service = DigestService(writes, cfg.digest, mailer=mailer, links=links)
            for outcome in service.run():
                logger.info("digest %s: %s", outcome.action, outcome.subject)
    finally:
        engine.dispose()


def housekeeping_job(config_path: str | None, database_url: str) -> None:
    """Drop raw pages older than ``schedule.retention_days``; optimize/analyze the database."""
    cfg = load_config(config_path, os.environ, database_url=database_url)
    engine = make_engine(cfg.database_url)
    try:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=cfg.schedule.retention_days)
        with session_scope(make_session_factory(engine, write=True)) as session:
            dropped = housekeeping.drop_raw_pages(session, cutoff)
        logger.info("housekeeping: dropped %d raw page(s) fetched before %s", dropped, cutoff)
        _mark_stale(cfg.database_url)
        logger.info("housekeeping: %s", housekeeping.maintain(engine))
    finally:
        engine.dispose()
