"""The config `newsmon demo` writes loads cleanly and points every source kind at the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import load_config
from scheduler.crawljob import build_crawl_job
from scheduler.demosite.democonfig import write_demo_config
from storage.exceptions import ConfigError


def test_demo_config_has_a_source_of_every_kind(tmp_path: Path) -> None:
    seeds = tmp_path / "my seeds" / 'odd"name'
    path = write_demo_config(tmp_path, "http://127.0.0.1:4321", seeds)
    cfg = load_config(str(path), {})

    assert cfg.database_url == f"sqlite:///{tmp_path / 'newsmon.db'}"
    assert cfg.resolve(cfg.relevance.seeds_dir) == seeds
    assert cfg.crawl.allow_private_addresses and not cfg.crawl.autothrottle
    assert cfg.crawl.obey_robots and cfg.crawl.download_delay < 0.5
    urls: dict[str, list[str]] = {}
    for s in cfg.sources:
        urls.setdefault(s.kind, []).append(s.url.removeprefix("http://127.0.0.1:4321"))
    assert sorted(urls["feed"]) == [
        "/feeds/atom.xml",
        "/feeds/feed.json",
        "/feeds/rdf.xml",
        "/feeds/rss.xml",
    ]
    assert sorted(urls["sitemap"]) == ["/sitemap.xml", "/sitemaps/news.xml"]
    assert urls["page"] == ["/section/politics.html"]


def test_the_config_kept_after_the_demo_disables_the_dead_site(tmp_path: Path) -> None:
    """`demo --keep` leaves this behind once the site has stopped: it loads, no source points
    at the dead port as a live one, and the header says how to serve the site again."""
    path = write_demo_config(tmp_path, "http://127.0.0.1:4321", tmp_path, site_running=False)
    cfg = load_config(str(path), {})
    assert len(cfg.sources) == 7 and not cfg.enabled_sources()
    text = path.read_text(encoding="utf-8")
    assert "it is gone now" in text
    assert "python -m scheduler.demosite --port 4321" in text
    assert f"newsmon --config {path} crawl --source ledger-rss" in text
    with pytest.raises(ConfigError, match="every source is disabled"):
        build_crawl_job(cfg)
    assert [s.name for s in build_crawl_job(cfg, ["ledger-rss"]).sources] == ["ledger-rss"]

    live = load_config(str(write_demo_config(tmp_path, "http://127.0.0.1:4321", tmp_path)), {})
    assert len(live.enabled_sources()) == 7
