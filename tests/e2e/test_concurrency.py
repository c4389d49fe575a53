"""Concurrency on one database, SQLite and PostgreSQL: a second crawl exits with status 4 at
once while the first one runs, and a digest runs (dry run, and a real send) while a crawl
writes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.demosite import NewsSite
from tests.faults import harness
from tests.scheduler.digest_support import smtp_server

pytestmark = pytest.mark.slow

# robots.txt Crawl-delay: each crawl of the demo site then takes ~15 s of polite fetching,
# long enough for the other process to run while it holds the lock and writes.
CRAWL_DELAY_S = 0.5


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with NewsSite(crawl_delay=CRAWL_DELAY_S) as s:
        yield s


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train the relevance model once for the module (crawls would each train their own)."""
    from crawler.relevance import load_model

    model_dir = tmp_path_factory.mktemp("model")
    load_model(model_dir, harness.SEEDS_DIR, 0.5)
    return model_dir


def _setup(tmp_path: Path, db_url: str, site: NewsSite, model: Path, smtp_port: int = 0) -> Path:
    from tests.e2e.test_crash_safety import demo_sources

    cfg = harness.write_config(tmp_path, demo_sources(site.base_url), database_url=db_url)
    text = cfg.read_text().replace("concurrent_per_domain = 16", "concurrent_per_domain = 4")
    if smtp_port:
        text = text.replace(
            "[relevance]",
            f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n\n'
            '[digest]\nrecipients = ["analyst@example.org"]\n\n[relevance]',
        )
    cfg.write_text(text)
    shutil.copytree(model, tmp_path / "model")
    init = harness.newsmon(cfg, "init")
    assert init.returncode == 0, init.stderr
    return cfg


def _wait_until(condition: object, timeout: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_second_crawl_exits_with_status_4_at_once(
    db_url: str, site: NewsSite, trained_model: Path, tmp_path: Path
) -> None:
    cfg = _setup(tmp_path, db_url, site, trained_model)
    log = tmp_path / "first.log"
    first = harness.spawn(cfg, "crawl", log=log)
    try:
        # The first crawl holds the lock once its run row exists.
        _wait_until(
            lambda: (
                first.poll() is not None
                or any(r["status"] == "running" for r in harness.read_db(db_url).runs)
            ),
            90,
            "the first crawl to start",
        )
        assert first.poll() is None, log.read_text()[-3000:]
        second = harness.newsmon(cfg, "crawl", timeout=120)
        # The first crawl holds the lock until it ends: that it is still running shows that
        # the second gave up at once instead of waiting (no wall-clock bound, which load breaks).
        assert first.poll() is None, "the first crawl ended before the second was refused"
        assert second.returncode == 4, second.stderr[-3000:]
        assert "another newsmon crawl is running" in second.stderr
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0, log.read_text()[-3000:]
    db = harness.read_db(db_url)
    assert [r["status"] for r in db.runs] == ["ok"], "the refused crawl must leave no run row"
    assert db.articles and not harness.half_written(db.articles)


@pytest.mark.parametrize("mode", ["dry-run", "send"])
def test_a_digest_runs_while_a_crawl_writes(
    db_url: str, site: NewsSite, trained_model: Path, tmp_path: Path, mode: str
) -> None:
    with smtp_server() as (sink, port):
        cfg = _setup(tmp_path, db_url, site, trained_model, smtp_port=port)
        log = tmp_path / "crawl.log"
        crawl = harness.spawn(cfg, "crawl", log=log)
        try:
            _wait_until(
                lambda: crawl.poll() is not None or bool(harness.read_db(db_url).articles),
                120,
                "the crawl to store its first article",
            )
            assert crawl.poll() is None, "the crawl finished before the digest could start"
            args = ["digest", "--dry-run", "--out", "eml"] if mode == "dry-run" else ["digest"]
            digest = harness.newsmon(cfg, *args, timeout=120)
            overlapped = crawl.poll() is None
        finally:
            crawl.wait(timeout=300)
        assert digest.returncode == 0, digest.stderr[-3000:]
        assert overlapped, "the crawl ended before the digest: nothing ran concurrently"
        assert crawl.returncode == 0, log.read_text()[-3000:]
        if mode == "dry-run":
            assert list((tmp_path / "eml").glob("*.eml")), "no .eml written"
            assert not sink.received
        else:
            assert len(sink.received) == 1, "the digest must be delivered exactly once"
    db = harness.read_db(db_url)
    assert not harness.half_written(db.articles)
    assert [r["status"] for r in db.runs] == ["ok"]
