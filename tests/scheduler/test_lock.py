"""Run locks between real processes, on SQLite (flock beside the database) and PostgreSQL
(advisory lock): one holder wins, a contender gives up at once with exit status 4, and the
lock is free again as soon as the holder is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from storage.engine import make_engine
from storage.migrate import upgrade

HOLDER = """
import sys, time
from pathlib import Path
from scheduler.lock import run_lock
from storage.exceptions import LockHeldError
try:
    with run_lock(sys.argv[1], sys.argv[2], fallback_dir=Path(sys.argv[3])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[4]))
except LockHeldError as exc:
    print(exc, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def _holder(url: str, name: str, tmp: Path, hold: float = 60.0) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, name, str(tmp), str(hold)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read() if proc.stderr else ""
    return proc


def _try(url: str, name: str, tmp: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", HOLDER, url, name, str(tmp), "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_contender_exits_4_at_once_and_kill_9_releases(db_url: str, tmp_path: Path) -> None:
    holder = _holder(db_url, "crawl", tmp_path)
    try:
        code, out = _try(db_url, "crawl", tmp_path)
        assert code == 4
        assert "another newsmon crawl is running on this database" in out
        # The holder never lets go: that the contender returned at all shows it did not
        # wait for the lock (no wall-clock comparison, which a loaded machine breaks).
        code_other, _ = _try(db_url, "digest", tmp_path)
        assert code_other == 0  # other lock names are independent
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    code, out = _try(db_url, "crawl", tmp_path)
    assert code == 0, out
    assert "locked" in out


def test_sqlite_lock_file_names_the_holder_pid(sqlite_url: str, tmp_path: Path) -> None:
    holder = _holder(sqlite_url, "digest", tmp_path)
    try:
        code, out = _try(sqlite_url, "digest", tmp_path)
        assert code == 4 and f"(pid {holder.pid})" in out
        assert (tmp_path / "newsmon.db.digest.lock").exists()
    finally:
        holder.kill()
        holder.wait()


def test_newsmon_digest_exits_4_while_another_digest_runs(sqlite_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "newsmon.toml"
    cfg.write_text(
        f'[storage]\nurl = "{sqlite_url}"\n[smtp]\nhost = "127.0.0.1"\nport = 9\n'
        'security = "none"\n[digest]\nrecipients = ["a@example.org"]\n'
    )
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    holder = _holder(sqlite_url, "digest", tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), "digest"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 4, done.stderr
    assert "another newsmon digest is running" in done.stderr
