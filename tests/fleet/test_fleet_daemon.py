"""The daemon's crawl job in fleet mode is discovery: it queues articles, workers store them."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis

from crawler.fleet.keys import FleetKeys
from scheduler.demosite import NewsSite
from scheduler.jobs import crawl_job
from tests.fleet.support import (
    REDIS_URL,
    PgDatabases,
    TimedLog,
    exported,
    newsmon,
    start_worker,
    write_config,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_the_daemons_crawl_job_queues_articles_for_workers(
    pg: PgDatabases, redis_up: str, tmp_path: Path
) -> None:
    with NewsSite(crawl_delay=0.05) as site:
        log = TimedLog(site)
        db = pg.new()
        prefix = redis_up
        cfg = write_config(
            tmp_path, db, REDIS_URL, prefix, [("rss", site.url("/feeds/rss.xml"), "feed")]
        )
        assert newsmon(cfg, "init").returncode == 0
        crawl_job(str(cfg), db, timeout_seconds=120)
        queued = Redis.from_url(REDIS_URL).llen(FleetKeys(prefix).queue)
        assert queued > 0
        assert not [p for _, p in log.entries if p.startswith("/articles/")]
        worker = start_worker(cfg, "--until-empty", log=tmp_path / "w.log")
        assert worker.wait(timeout=240) == 0, (tmp_path / "w.log").read_text()[-3000:]
        assert 0 < len(exported(cfg)) <= queued
        assert Redis.from_url(REDIS_URL).llen(FleetKeys(prefix).queue) == 0
