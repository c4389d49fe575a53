"""Cron mode end to end through the CLI: two overlapping `newsmon crawl` runs on one database
(one crawls, the other exits 4 at once), then `newsmon digest` --dry-run, with the mail
server down (exit 5, nothing marked), and delivered once to a real SMTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler.demosite import NewsSite
from scheduler.demosite.democonfig import write_demo_config
from scheduler.paths import project_seeds_dir
from storage.engine import make_engine
from storage.models import Digest
from tests.scheduler.digest_support import parts, smtp_server

pytestmark = pytest.mark.slow


def _newsmon(cfg: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args]


def _run(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _newsmon(cfg, *args),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _with_smtp(cfg: Path, base: str, port: int) -> None:
    cfg.write_text(
        base + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 10\n',
        encoding="utf-8",
    )


def _digest_rows(db: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Digest.status).order_by(Digest.id)))
    finally:
        engine.dispose()


def test_cron_runs_do_not_overlap_and_the_digest_arrives_once(tmp_path: Path) -> None:
    # A slow Crawl-delay keeps the first crawl busy while the second one starts.
    with NewsSite(crawl_delay=0.5) as site:
        base_url = site.start()  # already started by __enter__: returns its URL
        cfg = write_demo_config(tmp_path, base_url, project_seeds_dir())
        base = cfg.read_text(encoding="utf-8")
        _with_smtp(cfg, base, _free_port())
        assert _run(cfg, "init").returncode == 0

        first = subprocess.Popen(
            _newsmon(cfg, "crawl"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 120
            while not site.requests and time.monotonic() < deadline:
                assert first.poll() is None, first.communicate()
                time.sleep(0.1)
            assert site.requests, "the first crawl never reached the site"
            second = _run(cfg, "crawl")
            still_running = first.poll() is None
            _out, err = first.communicate(timeout=600)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert still_running, "the first crawl ended before the second started; test proves nothing"
        assert second.returncode == 4, second.stderr
        assert "another newsmon crawl is running on this database" in second.stderr
        assert first.returncode == 0, err[-3000:]

    db = tmp_path / "newsmon.db"

    # dry run: the message is written and printed, nothing is marked
    dry = _run(cfg, "digest", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    emls = list((tmp_path / "digests").glob("*.eml"))
    assert len(emls) == 1 and "new stor" in dry.stderr
    assert "Also reported by:" in dry.stdout  # the syndicated copy is folded
    assert _digest_rows(db) == []

    # the mail server is down: exit 5, nothing counted delivered
    down = _run(cfg, "digest")
    assert down.returncode == 5, down.stderr
    assert _digest_rows(db) == ["failed"]

    with smtp_server() as (sink, port):
        _with_smtp(cfg, base, port)
        sent = _run(cfg, "digest")
        assert sent.returncode == 0, sent.stderr
        # as cron runs it: -q prints nothing, so cron has nothing to mail on a good day
        again = _run(cfg, "-q", "digest")
        assert again.returncode == 0, again.stderr
        assert again.stdout == "" and again.stderr == ""
    assert len(sink.messages) == 2
    text, _html = parts(sink.messages[0])
    dry_titles = [
        line.split(". ", 1)[1]
        for line in dry.stdout.splitlines()
        if line[:1].isdigit() and ". " in line
    ]
    assert dry_titles and all(t in text for t in dry_titles)  # everything held back arrived
    assert "Nothing new" in parts(sink.messages[1])[0]
    assert _digest_rows(db) == ["failed", "sent", "sent"]
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Digest)) == 3
    engine.dispose()
