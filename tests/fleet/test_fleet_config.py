"""A fleet misconfigured is a clear error naming the key and the file (exit 2), no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.fleet.support import newsmon, write_config

SOURCES = [("feed", "http://127.0.0.1:9/feed.xml", "feed")]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/newsmon_fleet_never_created"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _error(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    return stderr


def test_a_fleet_on_sqlite_is_refused(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path, f"sqlite:///{tmp_path / 'a.db'}", "redis://127.0.0.1:6379/12", "t", SOURCES
    )
    for command in ("crawl", "worker"):
        err = _error(newsmon(cfg, command))
        assert str(cfg) in err and "[storage.url]" in err and "postgresql" in err


def test_an_unreachable_frontier_is_refused(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    cfg = write_config(tmp_path, PG, url, "t", SOURCES)
    for command in ("crawl", "worker"):
        err = _error(newsmon(cfg, command))
        assert str(cfg) in err and "[fleet.redis_url]" in err and "cannot reach Redis" in err


def test_a_frontier_that_is_not_a_redis_url_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, PG, "", "t", SOURCES)
    err = _error(newsmon(cfg, "worker", "--frontier", "http://127.0.0.1:6379"))
    assert "--frontier" in err and "redis://" in err


def test_a_worker_needs_a_frontier(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, PG, "", "t", SOURCES)
    err = _error(newsmon(cfg, "worker"))
    assert "[fleet.redis_url]" in err and str(cfg) in err
