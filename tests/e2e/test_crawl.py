"""End to end through the CLI: crawl the bundled news site -> database -> export, then recrawl.

Each crawl runs ``newsmon`` in a subprocess (a Twisted reactor cannot restart in one
process); the site runs in this process and logs every request it serves, with its time.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.demosite import NewsSite, RequestRecord
from storage.engine import make_engine
from storage.models import CrawlRun, CrawlRunSource
from tests.e2e.cli_support import newsmon_tty

PROJECT = Path(__file__).resolve().parents[2]
CRAWL_DELAY = 0.15
ARTICLE_PREFIXES = ("/articles/", "/ru/", "/syndicated/", "/private/")

pytestmark = pytest.mark.slow


class TimedSite(NewsSite):
    """The demo site, also noting when each request arrived (for the Crawl-delay check).

    The time is taken before the page is rendered, so rendering time does not blur it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.times: list[tuple[float, str]] = []

    def start(self) -> str:
        url = super().start()
        handle = self.router.handle

        def timed(raw_path: str, headers: Mapping[str, str]) -> Any:
            self.times.append((time.monotonic(), raw_path))
            return handle(raw_path, headers)

        self.router.handle = timed  # type: ignore[method-assign]
        return url


def write_config(path: Path, base: str, db: Path, model_dir: Path, *, private_ok: bool) -> Path:
    sources = [
        ("rss", "/feeds/rss.xml", "feed"),
        ("atom", "/feeds/atom.xml", "feed"),
        ("rdf", "/feeds/rdf.xml", "feed"),
        ("json", "/feeds/feed.json", "feed"),
        ("sitemap", "/sitemap.xml", "sitemap"),
        ("news", "/sitemaps/news.xml", "sitemap"),
        ("politics", "/section/politics.html", "page"),
    ]
    text = f"""
[storage]
url = "sqlite:///{db}"
[crawl]
user_agent = "newsmon-test/0.1 (+mailto:test@example.org)"
download_delay = 0.0
concurrent_per_domain = 4
timeout = 10
retries = 0
max_article_age_days = 0
extract_workers = 2
allow_private_addresses = {"true" if private_ok else "false"}
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{model_dir}"
"""
    for name, p, kind in sources:
        text += f'\n[[sources]]\nname = "{name}"\nurl = "{base}{p}"\nkind = "{kind}"\n'
    path.write_text(text, encoding="utf-8")
    return path


def newsmon(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSMON_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )


def article_paths(requests: list[RequestRecord]) -> list[str]:
    return [r.path for r in requests if r.path.startswith(ARTICLE_PREFIXES)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model")


@pytest.fixture
def site() -> Iterator[TimedSite]:
    with TimedSite(crawl_delay=CRAWL_DELAY) as s:
        yield s


def test_crawl_recrawl_publish_more(site: TimedSite, tmp_path: Path, model_dir: Path) -> None:
    db = tmp_path / "newsmon.db"
    cfg = write_config(tmp_path / "newsmon.toml", site.base_url, db, model_dir, private_ok=True)
    assert newsmon(cfg, "init").returncode == 0

    first = newsmon(cfg, "crawl")
    assert first.returncode == 0, first.stderr[-3000:]
    requests = site.requests
    paths = [r.path for r in requests]

    # Robots: fetched first, /private/ never requested although the section page links it.
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith("/private/")]
    # Redirect followed, 404 and 500 requested (and counted below), the crawl went on.
    go = [p for p in paths if p.startswith("/go/")]
    assert go, "the feeds link one article through /go/<slug>"
    assert "/gone.html" in paths and "/error.html" in paths
    # Every article requested once, tracking-parameter variants included.
    fetched = [p.split("?", 1)[0] for p in article_paths(requests)]
    assert len(fetched) == len(set(fetched)), sorted(fetched)
    assert not [p for p in paths if "utm_" in p]

    # Crawl-delay honoured: requests (after robots.txt) are spaced the delay apart. Arrival
    # times jitter on a busy machine, so single gaps get some slack and runs of five
    # requests must span four delays (unthrottled, they would arrive in bursts).
    stamps = [t for t, p in site.times if p != "/robots.txt"]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(gaps) > 20
    assert min(gaps) >= CRAWL_DELAY * 0.5, sorted(gaps)[:5]
    spans = [stamps[i + 4] - stamps[i] for i in range(len(stamps) - 4)]
    assert min(spans) >= 4 * CRAWL_DELAY * 0.9, sorted(spans)[:3]

    export = newsmon(cfg, "export", "--format", "jsonl")
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    by_path = {r["url"].removeprefix(site.base_url): r for r in rows}
    assert len(rows) == len(set(fetched) - {"/gone.html", "/error.html"})
    # The redirect target is stored under its final URL.
    assert any(
        p.startswith("/articles/") and p.endswith(go[0].removeprefix("/go/") + ".html")
        for p in by_path
    )
    # Cyrillic pages (windows-1251 and KOI8-R) stored as correct text.
    russian = [r for p, r in by_path.items() if p.startswith("/ru/")]
    assert len(russian) >= 2
    for r in russian:
        assert any(w in r["text"] for w in ("Кремл", "власт", "Путин")), r["text"][:200]
        assert "Ð" not in r["text"] and "�" not in r["text"]
    # The syndicated copy and the article it copies are one story: whichever was fetched
    # first is the original, the other points at it, and both share its cluster.
    (syndicated,) = [r for p, r in by_path.items() if p.startswith("/syndicated/")]
    story = [r for r in rows if r["cluster_id"] == syndicated["cluster_id"]]
    assert len(story) == 2, [r["url"] for r in story]
    (original,) = [r for r in story if r["duplicate_of"] is None]
    (copy,) = [r for r in story if r["duplicate_of"] is not None]
    assert copy["duplicate_of"] == original["id"] == original["cluster_id"]
    assert {r["url"].removeprefix(site.base_url).split("/")[1] for r in story} == {
        "articles",
        "syndicated",
    }
    assert all(0.0 <= r["relevance_score"] <= 1.0 for r in rows)

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        run = conn.execute(select(CrawlRun.status).order_by(CrawlRun.id)).scalars().all()
        rss = conn.execute(
            select(CrawlRunSource.errors, CrawlRunSource.new).where(CrawlRunSource.source == "rss")
        ).one()
    assert run == ["ok"]
    assert rss.errors == 2 and rss.new > 0  # the 404 and the 500, counted, not fatal

    # Second crawl: nothing new, so no article is requested and every listing answers 304.
    site.clear_requests()
    second = newsmon(cfg, "crawl")
    assert second.returncode == 0, second.stderr[-3000:]
    again = site.requests
    assert article_paths(again) == []
    listings = [r for r in again if r.path.startswith(("/feeds/", "/sitemap"))]
    # The RSS feed links /error.html (500 every time): that transient failure keeps the feed's
    # validators unsaved, so it is read again (and /error.html retried); the rest answer 304.
    complete = [r for r in listings if r.path != "/feeds/rss.xml"]
    assert complete and all(r.status == 304 for r in complete), [
        (r.path, r.status) for r in listings
    ]
    assert [r.status for r in listings if r.path == "/feeds/rss.xml"] == [200]
    assert "/error.html" in [r.path for r in again]
    assert all("If-None-Match" in r.headers for r in complete)

    # The site publishes more: only those are fetched.
    new_urls = site.publish_more()
    assert new_urls
    site.clear_requests()
    code, screen = newsmon_tty(cfg, "crawl")
    assert code == 0, screen[-3000:]
    # Interactive: a progress line per article, then the summary table.
    assert "crawling 7 sources" in screen
    assert sum(" new, " in line for line in screen.splitlines()) >= 1
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["source", "fetched"])
    assert lines[header].split()[:4] == ["source", "fetched", "new", "relevant"]
    total = next(line.split() for line in lines[header:] if line.startswith("total "))
    assert int(total[2]) == len([u for u in new_urls if "/private/" not in u])
    new_paths = {u.removeprefix(site.base_url) for u in new_urls}
    fetched3 = {p.split("?", 1)[0] for p in article_paths(site.requests)}
    assert fetched3 == {p for p in new_paths if not p.startswith("/private/")}
    engine.dispose()
