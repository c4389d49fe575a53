"""The bundled local news site: a real HTTP server on a loopback port, logging every request.

Used by ``newsmon demo`` and by the tests::

    with NewsSite() as site:           # site.base_url == "http://127.0.0.1:PORT"
        ...crawl site.base_url + "/feeds/rss.xml"...
        new_urls = site.publish_more()
        assert not any(r.path.startswith("/private/") for r in site.requests)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from scheduler.demosite.content import Catalog
from scheduler.demosite.routes import Response, Router

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it. ``path`` includes the query string."""

    method: str
    path: str
    headers: dict[str, str]
    status: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Handler(BaseHTTPRequestHandler):
    server_version = "NorthgateHTTP/1.0"
    protocol_version = "HTTP/1.1"
    site: NewsSite  # set on a per-site subclass

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        headers = dict(self.headers.items())
        try:
            resp = self.site.router.handle(self.path, headers)
        except Exception:  # a request boundary: answer 500 and keep serving
            logger.exception("demo site: error while answering %s", self.path)
            resp = Response(500, b"<h1>Internal Server Error</h1>", {"Content-Type": "text/html"})
        self.site._record(RequestRecord(self.command, self.path, headers, resp.status))
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if with_body and resp.body:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: object) -> None:
        # Requests are recorded in NewsSite.requests; stderr stays quiet.
        return


class _Server(ThreadingHTTPServer):
    # The listen() backlog: the default 5 drops connection attempts when a crawl opens 16 at
    # once to this one host, and those requests then time out.
    request_queue_size = 128
    daemon_threads = True


class NewsSite:
    """A fictional news site with feeds, sitemaps, section pages and fault pages.

    ``crawl_delay`` is what robots.txt announces (small by default so tests stay fast);
    ``clock`` dates the articles (they are "N hours ago" relative to it).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        crawl_delay: float = 0.2,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._host = host
        self._port = port
        self.crawl_delay = crawl_delay
        self._clock = clock
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.catalog = Catalog(clock)
        self.router = Router(self.catalog, "", crawl_delay, clock)

    def start(self) -> str:
        """Start serving in a background thread; return ``http://127.0.0.1:PORT``."""
        if self._server is not None:
            return self.base_url
        handler = type("Handler", (_Handler,), {"site": self})
        server = _Server((self._host, self._port), handler)
        self._server = server
        self.base_url = f"http://{self._host}:{server.server_address[1]}"
        self.router = Router(self.catalog, self.base_url, self.crawl_delay, self._clock)
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> NewsSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, rec: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(rec)

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the requests logged so far (e.g. between two crawls in one test)."""
        with self._log_lock:
            self._log.clear()

    def publish_more(self) -> list[str]:
        """Release the next batch of held-back articles; return their absolute URLs.

        They then appear in the feeds, sitemaps and section pages (whose ETags change).
        Returns ``[]`` when nothing is held back any more.
        """
        return [self.base_url + a.path for a in self.catalog.publish_more()]

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base_url + path
