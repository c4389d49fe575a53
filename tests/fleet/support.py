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
    concurrent: int = 16,
) -> Path:
    cfg = tmp / "newsmon.toml"
    fleet = f'[fleet]\nredis_url = "{redis_url}"\nkey_prefix = "{prefix}"\n' if redis_url else ""
    srcs = "".join(f'[[sources]]\nname = "{n}"\nurl = "{u}"\nkind = "{k}"\n' for n, u, k in sources)
    cfg.write_text(
        f"""
[storage]
url = "{db_url}"
{fleet}[crawl]
allow_private_addresses = true
download_delay = {delay}
concurrent_per_domain = {per_domain}
concurrent_requests = {concurrent}
retries = 0
timeout = 10
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


PG_ADMIN = os.environ.get(
    "NEWSMON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class PgDatabases:
    """Fresh PostgreSQL databases for one test, dropped at the end."""

    def __init__(self) -> None:
        from sqlalchemy import create_engine

        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def new(self) -> str:
        from sqlalchemy import text

        name = f"newsmon_fleet_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

    def drop_all(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.admin.dispose()


def exported(cfg: Path) -> list[dict[str, object]]:
    import json

    result = newsmon(cfg, "export")
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def archive_shape(rows: list[dict[str, object]]) -> tuple[object, ...]:
    """What a user sees of an archive, whatever order the articles came in: each stored URL
    with its title, text and verdict, and the stories as sets of URLs (which copy of a story
    came first may differ from crawl to crawl)."""
    by_id = {r["id"]: r for r in rows}
    articles = sorted((str(r["url"]), r["title"], r["text"], r["relevant"]) for r in rows)
    stories: dict[object, set[str]] = {}
    for r in rows:
        root = r["cluster_id"]
        stories.setdefault(root, set()).add(str(r["url"]))
    assert all(r["duplicate_of"] is None or r["duplicate_of"] in by_id for r in rows)
    return (articles, sorted(sorted(s) for s in stories.values()))


def stored_count(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    eng = create_engine(db_url)
    try:
        with eng.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM articles")).scalar_one())
    finally:
        eng.dispose()


def stored_by_worker(db_url: str) -> dict[str, str | None]:
    """Each stored URL -> the worker id its crawl run records (None: not a worker's run)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(db_url)
    try:
        with eng.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.url, r.stats ->> 'newsmon/fleet/worker' FROM articles a "
                    "JOIN crawl_runs r ON r.id = a.crawl_run_id"
                )
            ).all()
        return {str(url): worker for url, worker in rows}
    finally:
        eng.dispose()
