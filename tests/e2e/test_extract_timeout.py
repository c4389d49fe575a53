"""crawl.extract_timeout: a page whose extraction takes too long fails alone; the crawl goes on.

The slow page is real markup, not a hook: 100,000 short paragraphs (4 MB) that trafilatura
works on for over a minute on one core. With a 1 s limit its worker is stopped and replaced,
the page counts as a failed article of its source, and the other article is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.small_site import ARTICLES, _article, _rss
from tests.faults import harness

pytestmark = pytest.mark.slow

SLOW = "/articles/endless.html"
GOOD = "/articles/purge.html"
ENDLESS = (
    b"<!doctype html><html><head><title>Endless</title></head><body><article>"
    + b"<p>Moscow officials said the Kremlin </p>" * 100_000
    + b"</article></body></html>"
)


@pytest.fixture
def site() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            if self.path == "/feed.xml":
                ctype, body = "application/rss+xml", _rss(base, [SLOW, GOOD])
            elif self.path == "/robots.txt":
                ctype, body = "text/plain", b"User-agent: *\nAllow: /\n"
            elif self.path == SLOW:
                ctype, body = "text/html; charset=utf-8", ENDLESS
            else:
                ctype, body = "text/html; charset=utf-8", _article(*ARTICLES[GOOD])
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_over_the_time_limit_fails_alone(tmp_path: Path, site: str) -> None:
    sources = f'[[sources]]\nname = "slow"\nurl = "{site}/feed.xml"\nkind = "feed"\n'
    cfg = harness.write_config(
        tmp_path, sources, timeout=60, extra_crawl="extract_timeout = 1\nextract_workers = 1\n"
    )
    assert harness.newsmon(cfg, "init").returncode == 0

    result = harness.newsmon(cfg, "crawl")

    assert result.returncode == 0, result.stderr
    assert f"extraction took longer than 1 s: {site}{SLOW}" in result.stderr
    db = harness.read_db(f"sqlite:///{tmp_path / 'newsmon.db'}")
    assert [a["url"] for a in db.articles] == [site + GOOD]
    (run,) = db.runs
    assert run["status"] == "ok"  # the source worked: one article stored
    (counts,) = db.run_sources
    assert counts["errors"] == 1 and counts["new"] == 1
    assert "took longer than 1 s" in counts["last_error"]
