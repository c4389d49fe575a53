"""Watch-lists and immediate alerts with a fleet: the workers mark and count what a rule matches
as they store it, and the next discovery run alerts it (workers store after discovery returns,
so the alert comes at most one discovery interval late), once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.fleet.support import REDIS_URL, PgDatabases, newsmon, start_worker, write_config
from tests.scheduler.webhook_support import WebhookReceiver

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ORCHID = "Botanists find a new species of orchid in a remote mountain valley"


def test_a_workers_watch_match_is_counted_and_alerted_by_the_next_discovery(
    pg: PgDatabases, redis_up: str, tmp_path: Path
) -> None:
    with NewsSite(crawl_delay=0.05) as site, WebhookReceiver() as hook:
        cfg = write_config(
            tmp_path, pg.new(), REDIS_URL, redis_up, [("rss", site.url("/feeds/rss.xml"), "feed")]
        )
        with cfg.open("a", encoding="utf-8") as fh:
            fh.write(
                # threshold 1.0: only the urgent watch rule alerts
                f'\n[alerts]\nwebhook_url = "{hook.url}"\nthreshold = 1.0\n\n'
                '[[watch]]\nname = "orchids"\nterms = ["orchid"]\nurgent = true\n'
            )
        assert newsmon(cfg, "init").returncode == 0
        first = newsmon(cfg, "crawl")
        assert first.returncode == 0, first.stderr[-3000:]
        assert hook.posts == []  # discovery queued the articles; nothing is stored yet

        worker = start_worker(cfg, "--until-empty", log=tmp_path / "worker.log")
        assert worker.wait(timeout=240) == 0, (tmp_path / "worker.log").read_text()[-3000:]
        report = json.loads(newsmon(cfg, "stats", "--json").stdout)
        assert {w["rule"]: w["articles"] for w in report["watch"]} == {"orchids": 1}
        assert hook.posts == []  # a worker stores; it does not alert

        second = newsmon(cfg, "crawl")
        assert second.returncode == 0, second.stderr[-3000:]
        assert "alerts: 1 sent" in second.stderr
        (post,) = hook.posts
        alert = json.loads(post.body)
        assert alert["newsmon"]["title"] == ORCHID
        assert "watch-list: orchids" in alert["text"]

        assert newsmon(cfg, "crawl").returncode == 0
        assert len(hook.posts) == 1  # once
