"""ExtractionPool: same answers as in-process extraction, and it outlives a dying worker."""

from __future__ import annotations

import os
import signal
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.extraction import ExtractionPool, extract_article

# Starting the workers costs a few seconds (the forkserver warms the extraction code).
pytestmark = pytest.mark.slow

PAGES = sorted((Path(__file__).parent / "pages").glob("*.html"))
URL = "https://news.example.test/article"


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    with ExtractionPool(workers=2) as p:
        yield p


def test_first_submit_does_not_wait_for_workers_to_start() -> None:
    # Starting the workers takes seconds; the crawl's reactor thread must not wait for it.
    body = (Path(__file__).parent / "pages" / "english_article.html").read_bytes()
    with ExtractionPool(workers=1) as p:
        start = time.perf_counter()
        future = p.submit(body, URL, None)
        assert time.perf_counter() - start < 0.2
        assert future.result(timeout=120) == extract_article(body, URL)


def test_pool_results_equal_in_process_results(pool: ExtractionPool) -> None:
    bodies = [p.read_bytes() for p in PAGES]
    futures = [pool.submit(body, URL, None) for body in bodies]
    got = [f.result(timeout=120) for f in futures]
    assert got == [extract_article(body, URL) for body in bodies]
    assert any(g is not None and "Председатель правительства" in g.text for g in got)
    assert any(g is None for g in got)  # the page without an article


def test_pool_survives_a_worker_being_killed(pool: ExtractionPool) -> None:
    body = (Path(__file__).parent / "pages" / "english_article.html").read_bytes()
    expected = extract_article(body, URL)
    assert pool.submit(body, URL, None).result(timeout=120) == expected  # workers are up
    restarts = pool.restarts
    futures = [pool.submit(body, URL, None) for _ in range(40)]
    victim = next(iter(pool._executor._processes))  # a live worker process id
    os.kill(victim, signal.SIGKILL)
    assert [f.result(timeout=120) for f in futures] == [expected] * 40
    assert pool.restarts == restarts + 1
    # And the restarted pool keeps working.
    assert pool.submit(body, URL, None).result(timeout=120) == expected


def test_submit_after_shutdown_fails_the_future() -> None:
    p = ExtractionPool(workers=1)
    p.shutdown()
    with pytest.raises(RuntimeError):
        p.submit(b"<html></html>", URL, None).result(timeout=10)


def test_submit_call_runs_other_work_on_the_workers(pool: ExtractionPool) -> None:
    text = "Five regional governors were dismissed on Friday. " * 50
    assert pool.submit_call(zlib.crc32, text.encode()).result(timeout=120) == zlib.crc32(
        text.encode()
    )
    assert pool.submit_call(os.getpid).result(timeout=120) != os.getpid()
    with pytest.raises(ZeroDivisionError):
        pool.submit_call(divmod, 1, 0).result(timeout=120)
