"""Crash safety: `kill -9` a crawl at random moments, again and again, then crawl normally.

The final database must equal that of one uninterrupted crawl of the same site: the same
URLs, none missing, none twice, the same texts, no half-written row, the lock released and
every killed run marked as such.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.faults import harness

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("NEWSMON_CRASH_SEED", "20261121"))
KILL_BUDGET_S = float(os.environ.get("NEWSMON_CRASH_BUDGET", "60"))
MAX_KILLS = 12
STARTUP_S = 8.0  # roughly how long a crawl takes to import, load the model and start
CRAWL_DELAY_S = 0.4


def demo_sources(base: str) -> str:
    """Every discovery path of the demo site: feeds, sitemaps (index, gz, news), a section."""
    rows = [
        ("rss", "/feeds/rss.xml", "feed"),
        ("atom", "/feeds/atom.xml", "feed"),
        ("json", "/feeds/feed.json", "feed"),
        ("sitemap", "/sitemap.xml", "sitemap"),
        ("news", "/sitemaps/news.xml", "sitemap"),
    ]
    out = "".join(
        f'[[sources]]\nname = "{n}"\nurl = "{base}{p}"\nkind = "{k}"\n\n' for n, p, k in rows
    )
    out += (
        f'[[sources]]\nname = "politics"\nurl = "{base}/section/politics.html"\nkind = "page"\n'
        'allow = ["/articles/", "/ru/"]\ndeny = ["/tag/", "/author/", "/section/"]\n'
    )
    return out


def config_for(workdir: Path, base: str) -> Path:
    cfg = harness.write_config(workdir, demo_sources(base), timeout=10, retries=1)
    # Four connections per host: the demo site is a small threaded server.
    cfg.write_text(
        cfg.read_text().replace("concurrent_per_domain = 16", "concurrent_per_domain = 4")
    )
    init = harness.newsmon(cfg, "init")
    assert init.returncode == 0, init.stderr
    return cfg


@dataclass(frozen=True)
class Snapshot:
    urls: frozenset[str]
    texts: dict[str, str]  # url -> text_hash
    clusters: frozenset[frozenset[str]]  # story clusters as sets of URLs


def snapshot(db: harness.DbState) -> Snapshot:
    by_id = {a["id"]: a["url"] for a in db.articles}
    groups: dict[int, set[str]] = {}
    for a in db.articles:
        groups.setdefault(a["cluster_id"], set()).add(a["url"])
    assert all(k in by_id for k in groups), "cluster ids that are no stored article"
    return Snapshot(
        frozenset(a["url"] for a in db.articles),
        {a["url"]: a["text_hash"] for a in db.articles},
        frozenset(frozenset(g) for g in groups.values()),
    )


@dataclass
class Outcome:
    expected: Snapshot
    final: harness.CrawlRun
    db: harness.DbState
    kills: int
    partial_kills: int
    lock_refusals: int
    lingering: list[int]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    """The reference crawl, then kill -9 at random moments, then a normal rerun."""
    tmp = tmp_path_factory.mktemp("crash")
    orphans: list[int] = []
    # robots.txt asks for a delay between requests: it stretches the fetch-and-store phase of
    # each crawl to ~10 s, so random kills land while articles are being stored.
    with NewsSite(crawl_delay=CRAWL_DELAY_S) as site:
        try:
            yield _scenario(site, tmp, orphans)
        finally:
            # Whatever the outcome, leave no process of this test behind.
            for pid in {*orphans, *harness.processes_mentioning(str(tmp))}:
                if harness.alive(pid):
                    os.kill(pid, signal.SIGKILL)


def _article_requests(site: NewsSite) -> int:
    return sum(1 for r in site.requests if r.path.startswith(("/articles/", "/ru/", "/synd")))


def _wait_for_kill_moment(
    rng: random.Random, site: NewsSite, proc: subprocess.Popen[str], db_url: str
) -> None:
    """Sleep until a random moment: during start-up, after a few article fetches (mostly
    before the first extraction is back), or right after a few more articles were stored."""
    mode = rng.random()
    if mode < 0.2:
        time.sleep(rng.uniform(0.5, STARTUP_S))
        return

    def fetched() -> int:
        return _article_requests(site)

    def stored() -> int:
        return len(harness.read_db(db_url).articles)

    progress: Callable[[], int] = fetched if mode < 0.5 else stored
    target = progress() + (rng.randint(1, 10) if mode < 0.5 else rng.randint(1, 8))
    limit = time.monotonic() + 60
    while progress() < target and proc.poll() is None and time.monotonic() < limit:
        time.sleep(0.05)
    time.sleep(rng.uniform(0, CRAWL_DELAY_S))


def _scenario(site: NewsSite, tmp: Path, orphans: list[int]) -> Outcome:
    base = site.base_url
    # The reference: one uninterrupted crawl (init trained the relevance model).
    ref_cfg = config_for(tmp / "ref", base)
    ref = harness.crawl(ref_cfg, timeout=300)
    assert ref.returncode == 0, ref.stderr[-3000:]
    expected = snapshot(harness.read_db(f"sqlite:///{tmp / 'ref' / 'newsmon.db'}"))
    assert len(expected.urls) >= 10, ref.stderr[-3000:]

    cfg = config_for(tmp / "crash", base)
    # The reference's model (init trained one of its own), so that both score alike.
    shutil.rmtree(tmp / "crash" / "model")
    shutil.copytree(tmp / "ref" / "model", tmp / "crash" / "model")
    db_url = f"sqlite:///{tmp / 'crash' / 'newsmon.db'}"
    log = tmp / "crash" / "crawls.log"
    rng = random.Random(SEED)
    deadline = time.monotonic() + KILL_BUDGET_S
    kills = partial = lock_refusals = 0
    while time.monotonic() < deadline and kills < MAX_KILLS:
        proc = harness.spawn(cfg, "crawl", log=log)
        _wait_for_kill_moment(rng, site, proc, db_url)
        if proc.poll() is not None:  # finished before the kill: the next one starts afresh
            lock_refusals += proc.returncode == 4
            assert proc.returncode in (0, 4), log.read_text()[-3000:]
            continue
        orphans.extend(harness.descendants(proc.pid))
        proc.send_signal(signal.SIGKILL)  # only the crawl's own pid, as `kill -9 PID` would
        proc.wait()
        kills += 1
        # What the kill left behind must be consistent at every moment, not just at the end.
        arts = harness.read_db(db_url).articles
        bad = harness.half_written(arts)
        assert not bad, f"after kill {kills}: {bad[:5]}"
        partial += 0 < len(arts) < len(expected.urls)
        print(f"kill {kills}: {len(arts)}/{len(expected.urls)} articles stored")
    time.sleep(3)  # time for the killed crawls' helpers to notice and exit
    lingering = sorted(
        {p for p in orphans if harness.alive(p)}
        | set(harness.processes_mentioning(str(tmp / "crash")))
    )
    for pid in lingering:  # clean up now: the final crawl must not compete with them
        os.kill(pid, signal.SIGKILL)
    final = harness.crawl(cfg, timeout=300)
    return Outcome(
        expected, final, harness.read_db(db_url), kills, partial, lock_refusals, lingering
    )


def test_kills_landed_mid_crawl(outcome: Outcome) -> None:
    """The test itself: enough kills, at least one of them while articles were being stored."""
    assert outcome.kills >= 3, f"only {outcome.kills} kills in {KILL_BUDGET_S} s"
    assert outcome.partial_kills >= 1, "no kill landed mid-crawl"


def test_rerun_after_kills_equals_an_uninterrupted_crawl(outcome: Outcome) -> None:
    assert outcome.final.returncode == 0, outcome.final.stderr[-3000:]
    db, expected = outcome.db, outcome.expected
    got = snapshot(db)
    assert not harness.half_written(db.articles)
    assert len(db.articles) == len(got.urls), "an article stored twice"
    assert got.urls - expected.urls == set(), "stored URLs an uninterrupted crawl does not store"
    assert expected.urls - got.urls == set(), "articles lost to the kills"
    assert got.texts == expected.texts, "texts differ from the uninterrupted crawl"
    assert got.clusters == expected.clusters, "story clusters differ"


def test_killed_runs_are_marked_and_the_lock_is_released(outcome: Outcome) -> None:
    assert outcome.lock_refusals == 0, "a crawl was refused the lock after a killed one"
    statuses = [r["status"] for r in sorted(outcome.db.runs, key=lambda r: r["id"])]
    assert "running" not in statuses, f"stale runs left 'running': {statuses}"
    assert statuses.count("killed") >= 1, statuses
    assert statuses[-1] == "ok", statuses


def test_a_killed_crawl_leaves_no_worker_processes(outcome: Outcome) -> None:
    """Helpers (the extraction pool) must die with the crawl, or every crash leaks them."""
    assert not outcome.lingering, (
        f"{len(outcome.lingering)} helper processes outlived their killed crawl "
        f"(killed by the test afterwards): {outcome.lingering}"
    )
