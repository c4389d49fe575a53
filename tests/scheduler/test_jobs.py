"""The daemon's job functions, called as APScheduler calls them (plain arguments).

The crawl job that finds the crawl lock held is run through the daemon's scheduler in
test_daemon.py."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler.jobs import (
    JobTimeoutError,
    crawl_command,
    digest_job,
    housekeeping_job,
    run_command,
)
from storage.engine import session_scope
from storage.models import Article, RawPage
from tests.scheduler.digest_support import article, migrated, parts, seed, smtp_server

SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    with pytest.raises(JobTimeoutError):
        run_command([sys.executable, "-c", SPAWNER, str(pidfile)], timeout=2, grace=1, name="t")
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 15
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_output_is_logged_and_status_returned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="scheduler.jobs"):
        code = run_command(
            [sys.executable, "-c", "import sys; print('hello'); sys.exit(3)"], timeout=30, name="x"
        )
    assert code == 3 and "x | hello" in caplog.text


def test_crawl_command_runs_the_cli_module_with_sources() -> None:
    argv = crawl_command("/etc/newsmon.toml", ["a", "b"])
    assert argv == [
        sys.executable,
        "-m",
        "scheduler.cli",
        "--config",
        "/etc/newsmon.toml",
        "crawl",
        "--source",
        "a",
        "--source",
        "b",
    ]


def _config(tmp_path: Path, url: str, smtp_port: int = 9) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        '[digest]\nrecipients = ["a@example.org"]\n[schedule]\nretention_days = 30\n'
        "[crawl]\nallow_private_addresses = true\n"
        '[[sources]]\nname = "local"\nurl = "http://127.0.0.1:9/feed.xml"\nkind = "feed"\n'
    )
    return path


def test_digest_job_sends_from_the_config(sqlite_url: str, tmp_path: Path) -> None:
    engine, sessions = migrated(sqlite_url)
    seed(sessions, article("https://a.example/1", title="Purge in the Kremlin"))
    with smtp_server() as (sink, port):
        cfg = _config(tmp_path, sqlite_url, port)
        digest_job(str(cfg), sqlite_url)
        digest_job(str(cfg), sqlite_url)
    first, second = (parts(m)[0] for m in sink.messages)
    assert "Purge in the Kremlin" in first and "Nothing new" in second
    engine.dispose()


def test_housekeeping_drops_old_raw_pages_only(db_url: str, tmp_path: Path) -> None:
    engine, sessions = migrated(db_url)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=45)
    rec_old = article("https://a.example/old", fetched_at=old)
    rec_old.raw_body = b"<html>old</html>"
    rec_new = article("https://a.example/new")
    rec_new.raw_body = b"<html>new</html>"
    seed(sessions, rec_old, rec_new)
    housekeeping_job(str(_config(tmp_path, db_url)), db_url)
    with session_scope(sessions) as s:
        kept = list(s.scalars(select(RawPage.article_id)))
        assert s.scalar(select(func.count(Article.id))) == 2  # articles are kept
        new_id = s.scalar(select(Article.id).where(Article.url == "https://a.example/new"))
    assert kept == [new_id]
    engine.dispose()
