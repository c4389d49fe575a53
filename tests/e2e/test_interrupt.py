"""Ctrl-C and SIGTERM during a real crawl: the crawl stops, says so, records the run as
interrupted, exits 130 (143 for SIGTERM) and releases its lock; no traceback.

The local site holds one article's response until the test lets it go, so the signals are sent
while a download is in flight (the moment a graceful stop has to wait for); every wait is on an
event (a request reaching the site, a line on stderr), none on the clock.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.small_site import ARTICLES, _article, _rss
from tests.faults import harness

pytestmark = pytest.mark.slow

HELD = "/articles/held.html"
WAIT_S = 120.0  # an upper bound for events that come in well under a second


class HoldSite:
    """``/feed.xml`` lists one article served at once and ``HELD``, answered only after
    :attr:`release` is set; :attr:`reached` is set when ``HELD`` is requested."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{site.port}"
                if self.path == "/feed.xml":
                    ctype = "application/rss+xml"
                    body = _rss(base, ["/articles/purge.html", HELD])
                elif self.path == "/robots.txt":
                    ctype, body = "text/plain", b"User-agent: *\nAllow: /\n"
                else:
                    if self.path == HELD:
                        site.reached.set()
                        site.release.wait(WAIT_S)
                    ctype = "text/html; charset=utf-8"
                    body = _article(*ARTICLES["/articles/purge.html"])
                    if self.path == HELD:
                        body = _article(*ARTICLES["/articles/mutiny.html"])
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the crawl went away
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[HoldSite]:
    s = HoldSite()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def config(tmp_path: Path, site: HoldSite) -> Path:
    sources = (
        f'[[sources]]\nname = "held"\nurl = "http://127.0.0.1:{site.port}/feed.xml"\n'
        'kind = "feed"\n'
    )
    cfg = harness.write_config(tmp_path, sources, timeout=WAIT_S, retries=0)
    init = harness.newsmon(cfg, "init")
    assert init.returncode == 0, init.stderr
    return cfg


class Crawl:
    """``newsmon crawl`` in its own process group (a terminal's Ctrl-C reaches the whole
    group: the crawl, its forkserver and its workers); stderr lines arrive on a queue."""

    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(config), "crawl"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=config.parent,
            env=harness._env(),
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, text: str) -> None:
        while (line := self.lines.get(timeout=WAIT_S)) is not None:
            if text in line:
                return
        raise AssertionError(f"no line with {text!r}: {''.join(self.stderr)}")

    def signal_group(self, sig: int) -> None:
        os.killpg(self.proc.pid, sig)

    def wait(self) -> int:
        try:
            return self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"the crawl hung: {''.join(self.stderr)}") from None

    def output(self) -> str:
        self.lines.get(timeout=WAIT_S)  # drain: the reader saw the end
        return "".join(self.stderr)


def _runs(config: Path) -> list[dict[str, object]]:
    return harness.read_db(f"sqlite:///{config.parent / 'newsmon.db'}").runs


def _assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err, err
    assert "KeyboardInterrupt" not in err, err


def _workers_started(crawl: Crawl) -> None:
    """Wait until the crawl has child processes (the extraction forkserver): a Ctrl-C from the
    terminal reaches them too."""
    while not harness.descendants(crawl.proc.pid):
        assert crawl.proc.poll() is None, crawl.output()
        threading.Event().wait(0.05)


def _helpers_end(workdir: Path) -> None:
    """The crawl's forkserver and workers end after it (they notice it is gone)."""
    done = threading.Event()
    for _ in range(int(WAIT_S / 0.05)):
        if not harness.processes_mentioning(str(workdir)):
            return
        done.wait(0.05)
    left = harness.processes_mentioning(str(workdir))
    raise AssertionError(f"processes left behind: {left}")


def test_ctrl_c_twice_stops_at_once_and_records_an_interrupted_run(
    site: HoldSite, config: Path
) -> None:
    crawl = Crawl(config)
    assert site.reached.wait(WAIT_S), "the crawl never requested the held article"
    _workers_started(crawl)
    crawl.signal_group(signal.SIGINT)
    crawl.wait_for_line("SIGINT received")
    # The held download keeps a graceful stop waiting; a second Ctrl-C must not.
    crawl.signal_group(signal.SIGINT)
    status = crawl.wait()
    err = crawl.output()
    assert status == 130, err
    _assert_no_traceback(err)
    assert "interrupted" in err
    runs = _runs(config)
    assert [r["status"] for r in runs] == ["interrupted"]
    assert runs[0]["error"] == "interrupted by SIGINT"
    _helpers_end(config.parent)

    # The lock is free: the next crawl runs (exit 0, not 4) and stores the held article.
    site.release.set()
    again = harness.newsmon(config, "crawl")
    assert again.returncode == 0, again.stderr
    assert [r["status"] for r in _runs(config)] == ["interrupted", "ok"]


def test_ctrl_c_twice_while_the_crawl_starts_up(site: HoldSite, config: Path) -> None:
    # Before the first article (the model loading, the reactor starting, the extraction
    # workers warming up): where two Ctrl-C once left the crawl hanging for good.
    crawl = Crawl(config)
    crawl.wait_for_line("crawl run 1: 1 source")
    crawl.signal_group(signal.SIGINT)
    crawl.wait_for_line("SIGINT received")
    crawl.signal_group(signal.SIGINT)
    status = crawl.wait()
    err = crawl.output()
    assert status == 130, err
    _assert_no_traceback(err)
    assert [r["status"] for r in _runs(config)] == ["interrupted"]
    _helpers_end(config.parent)
    site.release.set()
    again = harness.newsmon(config, "crawl")
    assert again.returncode == 0, again.stderr  # the lock is free


def test_sigterm_finishes_the_pages_in_flight_and_exits_143(site: HoldSite, config: Path) -> None:
    crawl = Crawl(config)
    assert site.reached.wait(WAIT_S)
    # As systemd (KillMode=mixed) and the daemon send it: to the crawl process.
    crawl.proc.send_signal(signal.SIGTERM)
    crawl.wait_for_line("SIGTERM received")
    site.release.set()  # the page in flight arrives after the signal: it is still stored
    status = crawl.wait()
    err = crawl.output()
    assert status == 143, err
    _assert_no_traceback(err)
    db = harness.read_db(f"sqlite:///{config.parent / 'newsmon.db'}")
    assert [r["status"] for r in db.runs] == ["interrupted"]
    assert any(a["url"].endswith(HELD) for a in db.articles), err
    again = harness.newsmon(config, "crawl")
    assert again.returncode == 0, again.stderr
    # The start-of-crawl line counts the articles stored before it.
    stored = len(db.articles)
    assert f": 1 source, {stored} article{'' if stored == 1 else 's'} stored before it" in (
        again.stderr
    ), again.stderr


def test_ctrl_c_once_at_a_terminal_stops_without_tracebacks(site: HoldSite, config: Path) -> None:
    crawl = Crawl(config)
    assert site.reached.wait(WAIT_S)
    _workers_started(crawl)
    crawl.signal_group(signal.SIGINT)
    crawl.wait_for_line("SIGINT received")
    site.release.set()
    status = crawl.wait()
    err = crawl.output()
    assert status == 130, err
    _assert_no_traceback(err)
    assert "ForkServerProcess" not in err
    assert [r["status"] for r in _runs(config)] == ["interrupted"]
