"""ExtractionPool: same answers as in-process extraction, it outlives a dying worker, stops a
page that overruns its time limit, and its workers leave Ctrl-C to the crawl process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from crawler.extraction import ExtractionPool, extract_article
from crawler.extraction.pool import ExtractionTimeout

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
        # The dispatcher, which starts the workers, cannot hand anything to the executor while
        # the pool's lock is held; submit returns all the same (no clock: it returns at all).
        with p._lock:
            future = p.submit(body, URL, None)
            assert not future.done()
            assert not p._executor._processes  # no worker was started meanwhile
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


def _stuck_in_c() -> object:
    """Catastrophic backtracking: the regular expression engine runs for ages in C, where no
    Python-level timeout or signal handler ever gets to run."""
    return re.match(r"(a+)+$", "a" * 64 + "b")


def test_private_executor_processes_are_still_there() -> None:
    """Canary: ExtractionPool.kill reaches the workers through this private attribute."""
    with ProcessPoolExecutor(max_workers=1) as executor:
        executor.submit(os.getpid).result(timeout=60)
        processes = executor._processes  # type: ignore[attr-defined]
        assert isinstance(processes, dict) and list(processes)


def test_a_page_over_its_time_limit_fails_and_the_others_go_on(pool: ExtractionPool) -> None:
    body = (Path(__file__).parent / "pages" / "english_article.html").read_bytes()
    expected = extract_article(body, URL)
    assert pool.submit(body, URL, None).result(timeout=120) == expected  # workers are up
    restarts, timeouts = pool.restarts, pool.timeouts
    stuck = pool.submit_call(_stuck_in_c, timeout=2, label="stuck")
    others = [pool.submit_call(extract_article, body, URL, timeout=60) for _ in range(20)]
    with pytest.raises(ExtractionTimeout):
        stuck.result(timeout=120)
    # The pages in flight with it were resubmitted, not failed.
    assert [f.result(timeout=120) for f in others] == [expected] * 20
    assert pool.timeouts == timeouts + 1
    assert pool.restarts == restarts + 1
    assert pool.submit(body, URL, None).result(timeout=120) == expected


def test_a_page_within_its_time_limit_is_not_stopped(pool: ExtractionPool) -> None:
    timeouts = pool.timeouts
    assert pool.submit_call(zlib.crc32, b"x", timeout=60).result(timeout=120) == zlib.crc32(b"x")
    assert pool.timeouts == timeouts


def test_workers_ignore_ctrl_c() -> None:
    """A Ctrl-C at the terminal reaches the workers too; only the crawl process may act on it
    (a worker dying of it printed a KeyboardInterrupt traceback and broke the pool)."""
    with ExtractionPool(workers=1) as p:
        worker = p.submit_call(os.getpid).result(timeout=120)
        os.kill(worker, signal.SIGINT)
        # Had the signal ended the worker, a new one would answer (or the call would break).
        assert p.submit_call(os.getpid).result(timeout=120) == worker
        assert p.restarts == 0


def test_kill_stops_the_workers_and_fails_the_pages_in_flight() -> None:
    p = ExtractionPool(workers=1)
    worker = p.submit_call(os.getpid).result(timeout=120)
    stuck = p.submit_call(_stuck_in_c)
    p.terminate()
    with pytest.raises(RuntimeError):
        stuck.result(timeout=60)
    assert p.restarts == 0
    deadline = time.monotonic() + 60
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


PRESTART = """
import sys
from multiprocessing import forkserver
from crawler.extraction.pool import ExtractionPool, prestart_forkserver
from crawler.extraction.tasks import WORKER_PRELOAD
prestart_forkserver(WORKER_PRELOAD)
print(forkserver._forkserver._forkserver_pid, flush=True)
if sys.argv[1] == "use":
    with ExtractionPool(workers=1) as pool:
        page = b"<html><body><p>x</p></body></html>"
        assert pool.submit(page, "http://x.test/", None).result(60) is None
"""


@pytest.mark.parametrize("use", ["exit-at-once", "use"])
def test_a_prestarted_forkserver_is_stopped_at_exit_unless_a_pool_used_it(
    tmp_path: Path, use: str
) -> None:
    """The crawl script starts the forkserver before its imports; a crawl that ends without
    a pool (nothing new) stops it on its way out rather than leave it warming up, holding the
    output it shares. (With a pool, it ends as it always did, after the crawl process.)"""
    out = tmp_path / "out.txt"  # a file, not a pipe: run() returns when the script exits
    with out.open("w") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", PRESTART, use], stdout=stdout, timeout=120, check=False
        )
    assert done.returncode == 0
    pid = int(out.read_text().split()[0])
    if use == "exit-at-once":
        # Stopped and reaped before the script exited: trafilatura's imports alone, in the
        # forkserver's warm-up, take longer than this script's life.
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
