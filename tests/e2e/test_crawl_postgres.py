"""The same crawl on PostgreSQL: articles stored once, a recrawl fetches no article again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.e2e.test_crawl_cli import newsmon

PROJECT = Path(__file__).resolve().parents[2]


pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_crawl_into_postgresql(pg_url: str, tmp_path: Path) -> None:
    with NewsSite(crawl_delay=0.05) as site:
        cfg = tmp_path / "newsmon.toml"
        cfg.write_text(
            f"""
[storage]
url = "{pg_url}"
[crawl]
allow_private_addresses = true
download_delay = 0.0
retries = 0
max_article_age_days = 0
extract_workers = 2
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"
[[sources]]
name = "atom"
url = "{site.url("/feeds/atom.xml")}"
kind = "feed"
[[sources]]
name = "json"
url = "{site.url("/feeds/feed.json")}"
kind = "feed"
""",
            encoding="utf-8",
        )
        assert newsmon(cfg, "init").returncode == 0
        first = newsmon(cfg, "crawl")
        assert first.returncode == 0, first.stderr[-3000:]
        rows = [json.loads(x) for x in newsmon(cfg, "export").stdout.splitlines()]
        assert rows and len({r["url"] for r in rows}) == len(rows)
        copies = [r for r in rows if r["duplicate_of"] is not None]
        assert copies, "the Atom feed carries a syndicated copy"
        by_id = {r["id"]: r for r in rows}
        assert all(by_id[c["duplicate_of"]]["cluster_id"] == c["cluster_id"] for c in copies)

        site.clear_requests()
        second = newsmon(cfg, "crawl")
        assert second.returncode == 0, second.stderr[-3000:]
        assert [r.path for r in site.requests if r.path.startswith(("/articles/", "/ru/"))] == []
        assert len(newsmon(cfg, "export").stdout.splitlines()) == len(rows)
