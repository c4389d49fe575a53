"""Discovery and two workers on the demo news site, against one PostgreSQL and one Redis.

Every article is stored once and requested once; the site sees requests no closer than the
configured delay across both workers; a worker killed with SIGKILL loses nothing (a rerun
gives the archive a single-process crawl gives); SIGTERM lets a worker finish and exit 0.
"""

from __future__ import annotations

import itertools
import json
import signal
import time
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.fleet.support import (
    REDIS_URL,
    PgDatabases,
    TimedLog,
    archive_shape,
    exported,
    newsmon,
    start_worker,
    stored_by_worker,
    stored_count,
    write_config,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DELAY = 0.3


def _sources(site: NewsSite) -> list[tuple[str, str, str]]:
    return [
        ("rss", site.url("/feeds/rss.xml"), "feed"),
        ("atom", site.url("/feeds/atom.xml"), "feed"),
        ("json", site.url("/feeds/feed.json"), "feed"),
    ]


def _baseline(site: NewsSite, pg: PgDatabases, tmp: Path) -> tuple[object, ...]:
    """The archive one process makes of the site (no fleet)."""
    tmp.mkdir()
    cfg = write_config(tmp, pg.new(), "", "", _sources(site), extract_workers=1)
    assert newsmon(cfg, "init").returncode == 0
    result = newsmon(cfg, "crawl")
    assert result.returncode == 0, result.stderr[-3000:]
    return archive_shape(exported(cfg))


def _is_article(path: str) -> bool:
    return path.startswith(("/articles/", "/ru/"))


def test_two_workers_store_and_fetch_every_article_once(
    pg: PgDatabases, redis_up: str, tmp_path: Path
) -> None:
    with NewsSite(crawl_delay=0.05) as site:
        expected = _baseline(site, pg, tmp_path / "single")
        log = TimedLog(site)
        db = pg.new()
        cfg = write_config(tmp_path, db, REDIS_URL, redis_up, _sources(site), delay=DELAY)
        assert newsmon(cfg, "init").returncode == 0
        discovery = newsmon(cfg, "crawl")
        assert discovery.returncode == 0, discovery.stderr[-3000:]
        # Discovery reads listings only: no article was fetched by it.
        assert not [p for _, p in log.entries if _is_article(p)]
        workers = [start_worker(cfg, "--until-empty", log=tmp_path / f"w{i}.log") for i in (1, 2)]
        codes = [w.wait(timeout=240) for w in workers]
        assert codes == [0, 0], [(tmp_path / f"w{i}.log").read_text()[-3000:] for i in (1, 2)]

        rows = exported(cfg)
        assert archive_shape(rows) == expected
        assert len({r["url"] for r in rows}) == len(rows)
        copies = [r for r in rows if r["duplicate_of"] is not None]
        assert copies, "the feeds carry syndicated copies; they are folded into stories"

        articles = [p for _, p in log.entries if _is_article(p)]
        assert articles and len(articles) == len(set(articles)), "an article fetched twice"
        # The site sees requests no closer than the delay, across both workers.
        times = [t for t, _ in log.entries]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= DELAY, f"closest requests {min(gaps):.3f}s apart"

        stats = newsmon(cfg, "stats")
        assert stats.returncode == 0, stats.stderr
        assert "Workers seen in the last hour" in stats.stdout
        assert stats.stdout.count("stopped") >= 2
        assert "queued 0   in flight 0" in stats.stdout
        report = json.loads(newsmon(cfg, "stats", "--json").stdout)["fleet"]
        assert (report["queued"], report["in_flight"]) == (0, 0)
        seen = report["workers"]
        assert len(seen) == 2 and all(w["pid"] and w["host"] for w in seen)
        assert sum(w["pages"] for w in seen) >= len(rows)
        assert report["hosts"] and all(h["in_flight"] == 0 for h in report["hosts"])
        # Crawl runs record which worker stored what: every article names a worker's run.
        by_worker = stored_by_worker(db)
        assert len(by_worker) == len(rows) and None not in by_worker.values()
        assert 1 <= len(set(by_worker.values())) <= 2


def test_a_killed_worker_loses_nothing(pg: PgDatabases, redis_up: str, tmp_path: Path) -> None:
    with NewsSite(crawl_delay=0.05) as site:
        expected = _baseline(site, pg, tmp_path / "single")
        db = pg.new()
        cfg = write_config(tmp_path, db, REDIS_URL, redis_up, _sources(site), delay=DELAY)
        assert newsmon(cfg, "init").returncode == 0
        assert newsmon(cfg, "crawl").returncode == 0
        victim = start_worker(cfg, log=tmp_path / "victim.log")
        other = start_worker(cfg, log=tmp_path / "other.log")
        deadline = time.monotonic() + 120
        while (before := stored_count(db)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        assert 3 <= before < len(expected[0]), (tmp_path / "victim.log").read_text()[-3000:]  # type: ignore[arg-type]
        # SIGTERM: the other finishes what it holds and exits cleanly.
        other.send_signal(signal.SIGTERM)
        assert other.wait(timeout=120) == 0, (tmp_path / "other.log").read_text()[-3000:]

        rerun = newsmon(cfg, "crawl")
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        finisher = start_worker(cfg, "--until-empty", log=tmp_path / "finisher.log")
        assert finisher.wait(timeout=240) == 0, (tmp_path / "finisher.log").read_text()[-3000:]
        rows = exported(cfg)
        assert len({r["url"] for r in rows}) == len(rows)
        assert archive_shape(rows) == expected
