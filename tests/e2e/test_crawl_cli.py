"""`newsmon crawl` exit statuses: 3 when every source failed, 4 when another crawl runs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.lock import run_lock
from storage.engine import make_engine
from storage.models import CrawlRun, CrawlRunSource
from tests.e2e.cli_support import newsmon_tty

PROJECT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(tmp_path: Path) -> Path:
    port = closed_port()  # nothing listens there: every request is refused at once
    path = tmp_path / "newsmon.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
retries = 0
timeout = 5
extract_workers = 1
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"
[[sources]]
name = "down-feed"
url = "http://127.0.0.1:{port}/feed.xml"
kind = "feed"
[[sources]]
name = "down-sitemap"
url = "http://127.0.0.1:{port}/sitemap.xml"
kind = "sitemap"
[[sources]]
name = "disabled"
url = "http://127.0.0.1:{port}/x.xml"
kind = "feed"
enabled = false
""",
        encoding="utf-8",
    )
    return path


def newsmon(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_every_source_failed_exits_3_and_is_recorded(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert newsmon(cfg, "init").returncode == 0
    result = newsmon(cfg, "crawl")
    assert result.returncode == 3, result.stderr[-2000:]
    assert "every source failed" in result.stderr
    # Quiet under cron: no progress lines or table on stdout.
    assert result.stdout == ""
    engine = make_engine(f"sqlite:///{tmp_path / 'n.db'}")
    with engine.connect() as conn:
        status = conn.execute(select(CrawlRun.status)).scalar_one()
        rows = conn.execute(select(CrawlRunSource.source, CrawlRunSource.errors)).all()
    engine.dispose()
    assert status == "failed"
    assert sorted(rows) == [("down-feed", 1), ("down-sitemap", 1)]


def test_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    result = newsmon(cfg, "crawl", "--source", "nope")
    assert result.returncode == 2
    assert "no source named 'nope'" in result.stderr


def test_second_crawl_exits_4_while_the_lock_is_held(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert newsmon(cfg, "init").returncode == 0
    url = f"sqlite:///{tmp_path / 'n.db'}"
    with run_lock(url, "crawl", fallback_dir=tmp_path):
        result = newsmon(cfg, "crawl")
    assert result.returncode == 4, result.stderr[-2000:]


@pytest.mark.slow
def test_a_crawl_of_one_source_says_source_not_sources(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert newsmon(cfg, "init").returncode == 0
    code, screen = newsmon_tty(cfg, "crawl", "--source", "down-feed")
    assert code == 3, screen
    assert "crawling 1 source..." in screen, screen
    assert re.search(r"run \d+: failed in \S+ \(1 source, 0 new, 0 relevant\)", screen), screen
    logged = newsmon(cfg, "crawl", "--source", "down-feed").stderr
    assert re.search(r"crawl run \d+: 1 source\b", logged), logged
    assert re.search(r"crawl run \d+ failed: 1 source, ", logged), logged
    code, screen = newsmon_tty(cfg, "crawl")
    assert "crawling 2 sources..." in screen, screen


def _session_commands(sid: int) -> list[str]:
    """Command lines of the live processes in session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != sid:
                continue
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="the script starts it early on two cores or more"
)
def test_a_crawl_that_fetches_no_article_leaves_no_forkserver(
    tmp_path: Path,
) -> None:
    """The script starts the extraction forkserver before its imports, and a crawl that needs
    no worker ends with its exit status, its output closed and no forkserver left. (That the
    forkserver is stopped before the script exits, rather than after its warm-up, is tested in
    tests/crawler/extraction/test_pool.py, where the script's life is shorter than the warm-up.)"""
    cfg = config(tmp_path)  # every source is down: no article is fetched
    assert newsmon(cfg, "init").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), "crawl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    started: list[str] = []
    while proc.poll() is None and not started:  # the forkserver shows up while it crawls
        started = [c for c in _session_commands(proc.pid) if "forkserver" in c]
    proc.wait(timeout=180)
    assert proc.returncode == 3
    assert started, "the forkserver was started before the crawl's imports"
    assert not [c for c in _session_commands(proc.pid) if "forkserver" in c]
    proc.communicate(timeout=10)  # and the output is closed: nothing still writes to it
