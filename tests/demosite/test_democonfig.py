"""The config `newsmon demo` writes loads cleanly and points every source kind at the site."""

from __future__ import annotations

from pathlib import Path

from scheduler.config import load_config
from scheduler.demosite.democonfig import write_demo_config


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
