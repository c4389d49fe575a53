"""A fleet on one machine for tests: a Redis db of its own, a PostgreSQL database, the demo
news site, and ``newsmon crawl`` / ``newsmon worker`` run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# This suite's own Redis database number (others use 0-11); keys get a unique prefix too.
REDIS_DB = 12
REDIS_URL = os.environ.get("NEWSMON_TEST_REDIS", f"redis://127.0.0.1:6379/{REDIS_DB}")


def redis_or_skip(url: str = REDIS_URL) -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")


def unique_prefix() -> str:
    return f"newsmon-test-{uuid.uuid4().hex[:10]}"


def write_config(
    tmp: Path,
    db_url: str,
    redis_url: str,
    prefix: str,
    sources: list[tuple[str, str, str]],
    *,
    delay: float = 0.0,
    extract_workers: int = 1,
    per_domain: int = 2,
) -> Path:
    cfg = tmp / "newsmon.toml"
    srcs = "".join(
        f'[[sources]]\nname = "{n}"\nurl = "{u}"\nkind = "{k}"\n' for n, u, k in sources
    )
    cfg.write_text(
        f"""
[storage]
url = "{db_url}"
[fleet]
redis_url = "{redis_url}"
key_prefix = "{prefix}"
[crawl]
allow_private_addresses = true
download_delay = {delay}
concurrent_per_domain = {per_domain}
retries = 0
timeout = 20
max_article_age_days = 0
extract_workers = {extract_workers}
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp / "model"}"
{srcs}""",
        encoding="utf-8",
    )
    return cfg


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}


def newsmon(cfg: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(),
        cwd=PROJECT,
    )


def start_worker(cfg: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), "worker", *args],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env(),
            cwd=PROJECT,
        )


class TimedLog:
    """The site's request log with the time (monotonic seconds) each request was answered."""

    def __init__(self, site: object) -> None:
        import threading
        import time

        self.entries: list[tuple[float, str]] = []
        lock = threading.Lock()
        original = site._record  # type: ignore[attr-defined]

        def record(rec: object) -> None:
            with lock:
                self.entries.append((time.monotonic(), rec.path))  # type: ignore[attr-defined]
            original(rec)

        site._record = record  # type: ignore[attr-defined]
