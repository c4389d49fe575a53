"""Redis restarted mid-crawl (its queue lost): no article is lost, a rerun completes the crawl.

The test runs a private redis-server on a port of its own (never the shared one), without
persistence, and restarts it while a worker is storing articles.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.fleet.support import (
    PgDatabases,
    archive_shape,
    exported,
    newsmon,
    start_worker,
    stored_count,
    unique_prefix,
    write_config,
)
from tests.fleet.test_fleet_crawl import _baseline, _sources

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REDIS_SERVER = shutil.which("redis-server")


class PrivateRedis:
    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from redis import Redis
        from redis.exceptions import RedisError

        deadline = time.monotonic() + 20
        while True:
            try:
                Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return
            except RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_a_redis_restart_loses_no_article(
    pg: PgDatabases, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    with NewsSite(crawl_delay=0.05) as site:
        expected = _baseline(site, pg, tmp_path / "single")
        db = pg.new()
        cfg = write_config(
            tmp_path,
            db,
            private_redis.url,
            unique_prefix(),
            _sources(site),
            delay=0.5,
            concurrent=1,  # the worker holds few requests: most are lost with the queue
        )
        assert newsmon(cfg, "init").returncode == 0
        assert newsmon(cfg, "crawl").returncode == 0
        worker = start_worker(cfg, log=tmp_path / "worker.log")
        try:
            deadline = time.monotonic() + 120
            while (before := stored_count(db)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            private_redis.kill()  # the queue and everything pending is gone
            assert 2 <= before < len(expected[0])  # type: ignore[arg-type]
            time.sleep(1.0)
            private_redis.start()

            # The running worker reconnects; a rerun of discovery pushes what is not stored.
            rerun = newsmon(cfg, "crawl")
            assert rerun.returncode == 0, rerun.stderr[-3000:]
            finisher = start_worker(cfg, "--until-empty", log=tmp_path / "finisher.log")
            assert finisher.wait(timeout=240) == 0, (tmp_path / "finisher.log").read_text()[-3000:]
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=120)
        assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]
        rows = exported(cfg)
        assert len({r["url"] for r in rows}) == len(rows)
        assert archive_shape(rows) == expected
