"""A local web site serving the corpus pages, for corpus crawl tests and the crawl benchmark.

    with CorpusSite(corpus_dir) as site:
        site.base_url          # http://127.0.0.1:PORT
        site.sitemap_url       # /sitemap.xml listing every page, lastmod = now
        site.page_paths()      # requests, also: site.requests() -> list of paths served

Pages are read from the corpus folder at request time (never copied) and served as their
original bytes with ``Content-Type: text/html`` and no charset, so the page's own declaration
decides, as it would for many real servers. robots.txt allows everything.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape


class CorpusSite:
    """A threaded HTTP server on 127.0.0.1 serving ``<corpus>/pages/*.html``.

    ``port=0`` picks a free port; a fixed port keeps URLs stable across runs of a script.
    """

    def __init__(
        self, corpus_dir: Path, *, page_ids: list[str] | None = None, port: int = 0
    ) -> None:
        self.port = port
        self.pages_dir = corpus_dir / "pages"
        ids = page_ids if page_ids is not None else [p.stem for p in self.pages_dir.glob("*.html")]
        self.page_ids = sorted(ids)
        self._lastmod = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("CorpusSite is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def sitemap_url(self) -> str:
        return f"{self.base_url}/sitemap.xml"

    def page_paths(self) -> list[str]:
        return [f"/pages/{pid}.html" for pid in self.page_ids]

    def requests(self) -> list[str]:
        """Paths requested so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def start(self) -> str:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: with Nagle's algorithm the body of a
            # keep-alive response can wait for the client's delayed ACK (40 ms on Linux).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with site._lock:
                    site._requests.append(self.path)
                status, ctype, body = site._respond(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # the request list is the log

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CorpusSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _respond(self, path: str) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        if path == "/sitemap.xml":
            return 200, "application/xml", self._sitemap()
        if path.startswith("/pages/") and path.endswith(".html"):
            pid = path[len("/pages/") : -len(".html")]
            if pid in self.page_ids:
                return 200, "text/html", (self.pages_dir / f"{pid}.html").read_bytes()
        return 404, "text/plain", b"not found\n"

    def _sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{escape(self.base_url + path)}</loc>"
            f"<lastmod>{self._lastmod}</lastmod></url>\n"
            for path in self.page_paths()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n"
        ).encode()
