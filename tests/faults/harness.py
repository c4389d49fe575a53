"""Run ``newsmon crawl`` as a user would (a subprocess) and read back what it stored.

Shared by the fault suite, the crash-safety tests and ``tests/benchmarks/fault_report.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_DIR / "seeds"
PAGE = os.sysconf("SC_PAGE_SIZE")


def write_config(
    workdir: Path,
    sources_toml: str,
    *,
    database_url: str | None = None,
    timeout: float = 2.0,
    retries: int = 1,
    extra_crawl: str = "",
) -> Path:
    """A crawl config for a local site: private addresses allowed, fast and impolite."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{workdir / 'newsmon.db'}"
    path = workdir / "newsmon.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n\n'
        "[crawl]\nallow_private_addresses = true\n"
        f"timeout = {timeout}\nretries = {retries}\ndownload_delay = 0\n"
        "autothrottle = false\nconcurrent_requests = 32\nconcurrent_per_domain = 16\n"
        f"max_page_bytes = 5000000\n{extra_crawl}\n"
        f'[relevance]\nseeds_dir = "{SEEDS_DIR}"\nmodel_dir = "{workdir / "model"}"\n\n'
        f"{sources_toml}\n",
        encoding="utf-8",
    )
    return path


def newsmon(config: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``newsmon --config CONFIG ARGS...`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
        env=_env(),
    )


def spawn(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[str]:
    """Start ``newsmon --config CONFIG ARGS...`` without waiting.

    With ``log``, output goes to that file instead of pipes: a process that is killed may
    leave children holding the pipes open, and reading them to the end would never finish.
    """
    cmd = [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args]
    if log is not None:
        with log.open("a") as out:
            return subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=config.parent,
                env=_env(),
            )
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=config.parent,
        env=_env(),
    )


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), as seen right now."""
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out.extend(kids)
        todo.extend(kids)
    return out


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (e.g. a test's temp folder).

    Helpers of a killed crawl are re-parented to init, so ancestry cannot find them; their
    command line (multiprocessing puts the working folder in it) still can.
    """
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if text.encode() in cmdline and alive(int(entry.name)):
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NEWSMON_CONFIG", None)
    env.pop("NEWSMON_DATABASE_URL", None)
    return env


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (shared pages counted per process)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(_children(p))
    return total


@dataclass
class CrawlRun:
    """A finished ``newsmon crawl``: exit status, output, wall time and peak memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int
    peak_main_rss: int = 0  # the crawl process alone: downloads and decompression happen there


def crawl(config: Path, *args: str, timeout: float = 600) -> CrawlRun:
    """Run ``newsmon crawl`` while sampling the memory of its whole process tree."""
    start = time.monotonic()
    proc = spawn(config, "crawl", *args)
    peak = peak_main = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_main
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            peak_main = max(peak_main, _rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return CrawlRun(proc.returncode, out, err, time.monotonic() - start, peak, peak_main)


@dataclass
class DbState:
    """The rows a test compares: articles and crawl runs."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    run_sources: list[dict[str, Any]] = field(default_factory=list)


def read_db(database_url: str) -> DbState:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            arts = conn.execute(
                text(
                    "SELECT id, url, canonical_url, source, text, text_hash, minhash, "
                    "duplicate_of, cluster_id, crawl_run_id FROM articles ORDER BY id"
                )
            )
            runs = conn.execute(text("SELECT id, status, stats, pid, error FROM crawl_runs"))
            rs = conn.execute(text("SELECT * FROM crawl_run_sources"))
            return DbState(
                [dict(r._mapping) for r in arts],
                [dict(r._mapping) for r in runs],
                [dict(r._mapping) for r in rs],
            )
    finally:
        engine.dispose()


def half_written(articles: Sequence[dict[str, Any]]) -> list[str]:
    """Rows a crash must never leave: empty text, no hash, or a cluster id pointing nowhere."""
    ids = {a["id"] for a in articles}
    bad = []
    for a in articles:
        if not (a["text"] or "").strip() or not a["text_hash"]:
            bad.append(f"{a['url']}: empty text or hash")
        elif a["cluster_id"] is None or a["cluster_id"] not in ids:
            bad.append(f"{a['url']}: cluster_id {a['cluster_id']} is not a stored article")
        elif a["duplicate_of"] is not None and a["duplicate_of"] not in ids:
            bad.append(f"{a['url']}: duplicate_of {a['duplicate_of']} is not a stored article")
    return bad
