"""The stages of a real crawl share one CrawlState: one extraction pool, one fetch order, one
duplicate index, and the spider's own URL callbacks (crawler/state.py); and the crawl process
itself stays light (no numpy, no relevance model code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler import stats as st
from tests.e2e.small_site import SmallSite
from tests.faults import harness

pytestmark = pytest.mark.slow

# `newsmon crawl` as the script runs it, with a look, when the spider closes, at what each
# stage of the crawl holds (written as JSON to $NEWSMON_TEST_STATE_REPORT).
REPORTING_CRAWL = """
import json, os, sys
from scrapy import signals
from crawler.extraction import pool as pool_module
from crawler.fleet.worker import FleetState
from crawler.middlewares.known_urls import KnownUrlMiddleware
from crawler.pipelines.extract import ExtractPipeline
from crawler.pipelines.score import ScorePipeline
from crawler.pipelines.signature import SignaturePipeline
from crawler.pipelines.store import StorePipeline
from crawler.state import CrawlState

built, pools, keep = [], [], []
make_state = CrawlState.from_crawler.__func__
make_pool = pool_module.ExtractionPool.__init__

def counted_pool(self, *args, **kwargs):
    pools.append(self)
    make_pool(self, *args, **kwargs)

pool_module.ExtractionPool.__init__ = counted_pool

def from_crawler(cls, crawler):
    state = make_state(cls, crawler)
    built.append(state)

    def closed(spider, **_):
        stages = [ExtractPipeline, ScorePipeline, SignaturePipeline, StorePipeline]
        report = {c.__name__: crawler.get_item_pipeline(c).state is state for c in stages}
        known = crawler.get_downloader_middleware(KnownUrlMiddleware)
        report["KnownUrlMiddleware"] = known.is_known == state.is_known == spider.is_known
        report["not_stored"] = state.not_stored == spider.not_stored
        report["states"] = len(built)
        report["pools"] = len(pools)
        from scrapy.utils import defer as scrapy_defer
        report["loop_lookup"] = scrapy_defer._get_asyncio_event_loop.__name__
        heavy = ("numpy", "scipy", "sklearn", "crawler.relevance")
        report["heavy_imports"] = [name for name in heavy if name in sys.modules]
        with open(os.environ["NEWSMON_TEST_STATE_REPORT"], "w") as out:
            json.dump(report, out)

    keep.append(closed)  # Scrapy holds receivers weakly
    crawler.signals.connect(closed, signal=signals.spider_closed)
    return state

CrawlState.from_crawler = classmethod(from_crawler)
from scheduler.cli import console_main
console_main()
"""


@pytest.fixture
def site() -> Iterator[SmallSite]:
    with SmallSite() as s:
        yield s


def reporting_crawl(cfg: Path, report: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL")
    }
    env["PYTHONPATH"] = str(harness.PROJECT_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env["NEWSMON_TEST_STATE_REPORT"] = str(report)
    return subprocess.run(
        [sys.executable, "-c", REPORTING_CRAWL, "--config", str(cfg), "crawl"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cfg.parent,
        env=env,
        check=False,
    )


def run_stats(tmp_path: Path) -> dict[str, Any]:
    runs = harness.read_db(f"sqlite:///{tmp_path / 'newsmon.db'}").runs
    raw = runs[-1]["stats"]
    stats: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(str(raw))
    return stats


def test_a_crawls_stages_share_one_crawl_state(site: SmallSite, tmp_path: Path) -> None:
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nurl = "{site.url(path)}"\nkind = "feed"\n'
        for name, path in (("wire", "/feed.xml"), ("empty", "/empty.xml"))
    )
    cfg = harness.write_config(tmp_path, sources, retries=0, extra_crawl="extract_workers = 1")
    assert harness.newsmon(cfg, "init").returncode == 0
    report = tmp_path / "stages.json"

    first = reporting_crawl(cfg, report)

    assert first.returncode == 0, first.stderr[-3000:]
    assert json.loads(report.read_text()) == {
        "ExtractPipeline": True,
        "ScorePipeline": True,
        "SignaturePipeline": True,
        "StorePipeline": True,
        "KnownUrlMiddleware": True,
        "not_stored": True,
        "states": 1,
        "pools": 1,  # one set of worker processes for extraction, scoring and signing
        # Scoring, signing and banding happen in the workers: the crawl process that stored
        # two articles and checked them for copies never loaded numpy or the model's code.
        "heavy_imports": [],
        # Scrapy's per-Deferred loop lookup is the fast one (crawler/scrapy_compat.py).
        "loop_lookup": "_running_loop_first",
    }
    stats = run_stats(tmp_path)
    assert stats[st.key(st.STORED_NEW, "wire")] == 2
    # The page without article text reached the spider's record through the state ...
    assert stats[st.key(st.VISITED_PREFIX + "no_text", "empty")] == 1

    second = reporting_crawl(cfg, report)

    assert second.returncode == 0, second.stderr[-3000:]
    stats = run_stats(tmp_path)
    # ... so it is not fetched again; and the redirect to a stored article is dropped by
    # KnownUrlMiddleware, which asks the spider's check through the state.
    assert stats.get(st.key(st.FETCHED, "empty")) is None, stats
    assert site.requests.count("/go/succession") == 2
    assert site.requests.count("/articles/succession.html") == 1
    # Two stored articles skipped at discovery, one redirect target in the middleware.
    assert stats[st.key(st.SKIPPED_KNOWN, "wire")] == 3, stats
    assert site.requests.count("/articles/empty.html") == 1
