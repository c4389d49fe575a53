"""Canaries: every private or undocumented part of Scrapy (and of the standard library's process
pool) that newsmon relies on, checked against the pinned versions, so that an upgrade that
changes one fails here, by name, instead of somewhere in a crawl.

Each hook is named in a comment where it is used:

- ``scrapy.core.scraper._defer_sleep`` and ``scrapy.utils.defer._get_asyncio_event_loop``:
  crawler/scrapy_compat.py (more in its own test, tests/crawler/test_scrapy_compat.py).
- ``RobotsTxtMiddleware.process_request_2`` and ``._logerror``, ``RetryMiddleware._retry``:
  crawler/middlewares/quiet.py.
- ``CancelledError`` for DOWNLOAD_MAXSIZE, ``IgnoreRequest`` from
  ``scrapy.utils._compression._DecompressionMaxSizeExceeded``: crawler/failures.py.
- ``Downloader.slots``, ``.per_slot_settings``, ``Slot.delay`` and ``.randomize_delay``:
  crawler/middlewares/crawl_delay.py.
- ``Crawler.crawling`` (a graceful stop only starts while it is true), ``CrawlerProcess.crawlers``:
  crawler/runner.py (``_stop_now``).
- ``ProcessPoolExecutor._processes`` and ``._executor_manager_thread``:
  crawler/extraction/pool.py.
- ``ExecutionEngine._slot`` with ``.nextcall`` and ``.scheduler``: crawler/fleet/scheduler.py
  and crawler/fleet/worker.py (waking the engine, asking the scheduler from spider_idle).
- ``Crawler.crawl`` making the spider before the extensions (so ``Crawler.spider`` is set
  when ``CrawlState.from_crawler`` runs) and the stages after them (so their ``from_crawler``
  can call ``Crawler.get_extension``): crawler/state.py.
"""

from __future__ import annotations

import contextlib
import gzip
import inspect
import json
import threading
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest
from scrapy import Spider
from scrapy.core import scraper
from scrapy.core.downloader import Downloader, Slot
from scrapy.core.engine import ExecutionEngine, _Slot
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler
from twisted.internet.defer import CancelledError

from crawler import stats as st
from crawler.failures import over_decompressed_size, over_download_size
from crawler.middlewares.quiet import QuietRobotsTxtMiddleware, RobotsForbidden
from tests.e2e.small_site import _rss
from tests.faults import harness


@pytest.fixture
def reactor_installed() -> None:
    """Scrapy's get_crawler wants a reactor installed (the one a crawl uses)."""
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    if not is_reactor_installed():
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")


def _params(fn: object) -> list[str]:
    return list(inspect.signature(fn).parameters)  # type: ignore[arg-type]


def test_callback_delay_hook_is_there() -> None:
    assert hasattr(scraper, "_defer_sleep")


def test_event_loop_lookup_is_a_name_scrapy_defer_calls() -> None:
    from scrapy.utils import defer as scrapy_defer

    assert callable(scrapy_defer._get_asyncio_event_loop)
    # Looked up at call time in these, so that patching the module's name takes effect.
    for fn in (scrapy_defer.deferred_from_coro, scrapy_defer.deferred_to_future):
        assert "_get_asyncio_event_loop()" in inspect.getsource(fn)


def test_robots_middleware_hooks_keep_their_signatures() -> None:
    assert _params(RobotsTxtMiddleware.process_request_2) == ["self", "rp", "request", "spider"]
    assert _params(RobotsTxtMiddleware._logerror) == ["self", "failure", "request", "spider"]
    assert _params(RetryMiddleware._retry) == ["self", "request", "reason", "spider"]


@pytest.mark.usefixtures("reactor_installed")
def test_a_robots_refusal_has_its_own_type() -> None:
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    middleware = QuietRobotsTxtMiddleware(crawler)
    parser = ProtegoRobotParser(b"User-agent: *\nDisallow: /private/\n", None)
    spider = Spider("hooks")
    allowed = Request("https://news.example.test/public/a.html")
    middleware.process_request_2(parser, allowed, spider)  # allowed: no exception
    with pytest.raises(RobotsForbidden):
        middleware.process_request_2(
            parser, Request("https://news.example.test/private/a.html"), spider
        )


@pytest.mark.usefixtures("reactor_installed")
def test_a_decompression_bomb_is_told_by_the_cause_of_the_ignore() -> None:
    crawler = get_crawler(Spider, {"DOWNLOAD_MAXSIZE": 10_000})
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    spider = Spider("hooks")
    request = Request("https://news.example.test/bomb.html")
    bomb = gzip.compress(b"\0" * 1_000_000)
    response = Response(request.url, body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(IgnoreRequest) as info:
        middleware.process_response(request, response, spider)
    assert over_decompressed_size(info.value)
    assert not over_decompressed_size(IgnoreRequest("Forbidden by robots.txt"))


def test_download_slots_keep_their_attributes() -> None:
    source = inspect.getsource(Downloader.__init__)
    assert "self.slots" in source and "self.per_slot_settings" in source
    slot = Slot(concurrency=1, delay=0.5, randomize_delay=True)
    assert slot.delay == 0.5 and slot.randomize_delay is True


def test_a_graceful_stop_only_starts_while_crawling() -> None:
    assert "if self.crawling:" in inspect.getsource(Crawler.stop)
    assert "self.crawlers" in inspect.getsource(CrawlerProcess.stop)


def test_the_engine_slot_keeps_its_attributes() -> None:
    assert "self._slot" in inspect.getsource(ExecutionEngine.__init__)
    slot_init = inspect.getsource(_Slot.__init__)
    assert "self.nextcall" in slot_init and "self.scheduler" in slot_init


def test_the_spider_is_made_before_the_extensions_and_the_stages_after() -> None:
    crawl = inspect.getsource(Crawler.crawl)
    spider, extensions, engine = (
        crawl.index(step) for step in ("_create_spider(", "_apply_settings()", "_create_engine()")
    )
    assert spider < extensions < engine
    assert "ExtensionManager.from_crawler" in inspect.getsource(Crawler._apply_settings)
    assert callable(Crawler.get_extension)


def test_process_pool_internals_are_there() -> None:
    with ProcessPoolExecutor(max_workers=1) as executor:
        assert executor.submit(abs, -1).result(timeout=120) == 1
        assert isinstance(executor._processes, dict) and executor._processes  # type: ignore[attr-defined]
        assert executor._executor_manager_thread is not None  # type: ignore[attr-defined]


class _FailingSite(BaseHTTPRequestHandler):
    """robots.txt forbids /private/; /big.html announces more than the limit, /chunked.html
    sends more without announcing it, /bomb.html inflates past it."""

    protocol_version = "HTTP/1.1"
    LIMIT = 100_000

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{cast(HTTPServer, self.server).server_port}"
        pages = ["/big.html", "/chunked.html", "/bomb.html", "/private/a.html"]
        headers = {"Content-Type": "text/html"}
        body = b"<html><body>" + b"<p>too much</p>" * (self.LIMIT // 10) + b"</body></html>"
        if self.path == "/robots.txt":
            body, headers = b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
        elif self.path == "/feed.xml":
            body, headers = _rss(base, pages), {"Content-Type": "application/rss+xml"}
        elif self.path == "/bomb.html":
            body = gzip.compress(b"<html><body>" + b" " * (self.LIMIT * 50))
            headers["Content-Encoding"] = "gzip"
        elif self.path == "/chunked.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            with contextlib.suppress(OSError):  # the crawl hangs up once it has enough
                for start in range(0, len(body), 8192):
                    chunk = body[start : start + 8192]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
def test_size_and_robots_failures_are_classified_in_a_real_crawl(tmp_path: Path) -> None:
    """DOWNLOAD_MAXSIZE, announced or as the body arrives, fails the download with Twisted's
    CancelledError (over_download_size); a gzip bomb and robots.txt are told apart by type."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingSite)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        cfg = harness.write_config(
            tmp_path, f'[[sources]]\nname = "s"\nurl = "{url}"\nkind = "feed"\n'
        )
        cfg.write_text(
            cfg.read_text().replace(
                "max_page_bytes = 5000000", f"max_page_bytes = {_FailingSite.LIMIT}"
            )
        )
        assert harness.newsmon(cfg, "init").returncode == 0
        result = harness.newsmon(cfg, "crawl")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr  # the feed itself worked
    (run,) = harness.read_db(f"sqlite:///{tmp_path / 'newsmon.db'}").runs
    raw = run["stats"]
    stats: dict[str, object] = raw if isinstance(raw, dict) else json.loads(str(raw))
    assert stats.get(st.key(st.VISITED_PREFIX + "too_large", "s")) == 3, stats
    assert stats.get(st.key(st.DECOMPRESSED_TOO_LARGE, "s")) == 1, stats
    assert stats.get(st.key(st.SKIPPED_ROBOTS, "s")) == 1, stats
    assert stats.get(st.key(st.SKIPPED_IGNORED, "s")) is None, stats
    assert "CancelledError" not in result.stderr
    assert over_download_size(CancelledError()) and not over_download_size(TimeoutError())
