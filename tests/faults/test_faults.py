"""One `newsmon crawl` of the fault-injecting site: the run goes on, every good article is
stored exactly once, every fault is counted, and memory stays bounded.

The crawl runs once per module (it takes ~20 s: the slow faults outlast a 2 s timeout);
``tests/benchmarks/fault_report.py`` prints the same outcome as a table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.catalog_types import RETRY_AFTER_S
from tests.faults.matrix import MatrixResult, Row, format_table, run_matrix

pytestmark = pytest.mark.slow

# Downloads and decompression happen in the crawl process: ~200 MB with Scrapy and the model
# loaded; a 1 GB gzip bomb or a few copies of a 50 MB page held in memory would show. The
# whole tree (plus the extraction workers, shared pages counted per process) is ~800 MB.
MAX_MAIN_RSS_MB = int(os.environ.get("NEWSMON_FAULT_MAX_RSS_MB", "400"))
MAX_TREE_RSS_MB = int(os.environ.get("NEWSMON_FAULT_MAX_TREE_RSS_MB", "1200"))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixResult]:
    result = run_matrix(tmp_path_factory.mktemp("faults"))
    print(format_table(result))  # shown with -s or on failure, for the report
    yield result


def _describe(rows: list[Row]) -> str:
    return "; ".join(
        f"{r.fault.name}: {r.fault.what} (stored {r.stored}/{r.expected}, doubled {r.doubled},"
        f" junk {r.junk}, garbled {r.garbled}, errors {r.errors}, counters {r.counters},"
        f" log lines {r.log_lines})"
        for r in rows
    )


def test_the_run_finishes_and_reports_partial_success(matrix: MatrixResult) -> None:
    crawl = matrix.crawl
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert matrix.run is not None, "the crawl left no crawl_runs row"
    # Some sources cannot work at all (a feed that always fails), the rest did.
    assert matrix.run["status"] == "partial", matrix.run


def test_every_good_article_is_stored_exactly_once(matrix: MatrixResult) -> None:
    bad = [r for r in matrix.rows if r.lost or r.doubled]
    assert not bad, _describe(bad)


def test_pages_without_an_article_store_nothing(matrix: MatrixResult) -> None:
    """Truncated bodies, binary noise, boilerplate-only pages and bombs are not articles."""
    bad = [r for r in matrix.rows if r.junk]
    assert not bad, _describe(bad)


def test_pages_with_wrong_or_missing_charset_come_out_as_correct_text(
    matrix: MatrixResult,
) -> None:
    bad = [r for r in matrix.rows if r.garbled]
    assert not bad, _describe(bad)


def test_each_fault_is_counted_in_the_run_stats(matrix: MatrixResult) -> None:
    """An error in crawl_run_sources, or a counter such as skipped/ignored or extract/empty."""
    uncounted = [r for r in matrix.rows if r.fault.counted and not r.counted]
    assert not uncounted, _describe(uncounted)
    controls = [r for r in matrix.rows if r.fault.name.startswith("control_")]
    assert all(not r.counted for r in controls), _describe(controls)


def test_fetch_failures_are_errors_of_their_source(matrix: MatrixResult) -> None:
    """Timeouts, 5xx, broken transfers and size caps show in crawl_run_sources.errors."""
    failing = ("slow_", "http_500", "feed_500", "drop_", "truncated_", "broken_", "huge_")
    rows = [r for r in matrix.rows if r.fault.name.startswith(failing)]
    assert rows and all(r.errors for r in rows), _describe([r for r in rows if not r.errors])


def test_each_fault_is_logged_but_not_flooded(matrix: MatrixResult) -> None:
    """A fault shows up in the log, but not once per retry, byte or item."""
    silent = [r for r in matrix.rows if r.fault.counted and r.log_lines == 0]
    assert not silent, _describe(silent)
    noisy = [r for r in matrix.rows if r.log_lines > 6]
    assert not noisy, [(r.fault.name, r.log_lines) for r in noisy]


def test_retry_after_is_honoured(matrix: MatrixResult) -> None:
    """A 429 or 503 with Retry-After: N is retried, but not before N seconds have passed."""
    for name, gap in matrix.retry_gaps.items():
        assert gap is not None, f"{name}: never retried"
        assert gap >= RETRY_AFTER_S - 0.5, (
            f"{name}: retried {gap:.2f} s after Retry-After: {RETRY_AFTER_S}"
        )


def test_only_http_urls_are_stored(matrix: MatrixResult) -> None:
    assert matrix.stored_urls
    assert all(u.startswith(("http://", "https://")) for u in matrix.stored_urls)


def test_loops_and_huge_feeds_do_not_multiply_requests(matrix: MatrixResult) -> None:
    rows = {r.fault.name: r for r in matrix.rows}
    # Scrapy's redirect limit (20 hops) bounds the loop; retries must not restart it.
    assert rows["redirect_loop"].requests <= 45, rows["redirect_loop"].requests
    # The 20k-item feed is capped by max_articles (20) and the age limit.
    assert rows["feed_20k"].requests <= 1 + 2 * 20, rows["feed_20k"].requests


def test_peak_memory_stays_bounded(matrix: MatrixResult) -> None:
    main_mb = matrix.crawl.peak_main_rss / 2**20
    tree_mb = matrix.crawl.peak_rss / 2**20
    assert 0 < main_mb < MAX_MAIN_RSS_MB, f"crawl process peak RSS {main_mb:.0f} MB"
    assert tree_mb < MAX_TREE_RSS_MB, f"all crawl processes together: {tree_mb:.0f} MB"


def test_the_fault_site_serves_what_the_table_claims(tmp_path: Path) -> None:
    """The harness itself: the faults really are faults (checked with a plain client)."""
    import http.client
    import urllib.request

    from tests.faults.site import FaultSite

    with FaultSite(slow=1.0) as site:
        base = site.base_url
        with pytest.raises(http.client.IncompleteRead):
            urllib.request.urlopen(base + "/f/truncated_body/page.html", timeout=5).read()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/f/http_503_once/good-9.html", timeout=5)
        assert info.value.code == 503
        body = urllib.request.urlopen(base + "/f/http_503_once/good-9.html", timeout=5).read()
        assert b"Reference code" in body
        moved = urllib.request.urlopen(base + "/f/redirect_other_host/go.html", timeout=5)
        assert moved.url.startswith(site.other_url)
        bomb = urllib.request.urlopen(base + "/f/gzip_bomb_feed/feed.xml", timeout=5).read()
        assert len(bomb) < 2_000_000
        assert len(site.good) >= 30 and len({g.marker for g in site.good}) == len(site.good)
