"""The fault-injecting site: a raw HTTP server on 127.0.0.1 (and 127.0.0.2 for cross-host
redirects) that serves the fault matrix of :mod:`tests.faults.catalog`.

    with FaultSite(slow=6.0) as site:
        site.base_url                 # "http://127.0.0.1:PORT"
        site.faults                   # one Fault per source to configure
        site.requests_for("/f/huge_page/")

It speaks HTTP/1.1 on raw sockets (one request per connection) so that it can break the
protocol on purpose. Every request is logged with host, path and the status sent.
"""

from __future__ import annotations

import socketserver
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from tests.faults import catalog
from tests.faults import responses as r
from tests.faults.content import GoodArticle, utcnow

ROBOTS = b"User-agent: *\nAllow: /\n"
MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Hit:
    """One request as the site saw it: ``at`` is its arrival; ``status`` is -1 while it is
    being answered and 0 when no status line was sent."""

    host: str
    path: str
    status: int
    at: float


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    # The default listen backlog (5) drops connections when a crawler opens 16 at once; the
    # client then waits for a SYN retransmit and times out: a fault of the test, not the site.
    request_queue_size = 128
    site: FaultSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Crawlers hang up on slow, huge and bomb answers: that is the point, not an error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(8192).decode("latin-1").strip()
        headers: dict[str, str] = {}
        size = 0
        while True:
            raw = self.rfile.readline(8192)
            size += len(raw)
            if raw in (b"\r\n", b"\n", b"") or size > MAX_HEADER_BYTES:
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = line.split()
        if len(parts) < 2:
            return
        addr = self.server.server_address
        host = f"{addr[0]!s}:{addr[1]!s}"
        req = r.Request(parts[0], parts[1], host, headers)
        self.server.site._serve(req, self.connection)


class FaultSite:
    """Serve every fault of the matrix plus the good articles listed next to them.

    ``slow`` is how long the slow faults keep the crawler waiting: set it well above the
    crawl's download timeout.
    """

    def __init__(self, *, slow: float = 6.0) -> None:
        self.slow = slow
        self._hits: list[Hit] = []
        self._arrivals: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.base_url = ""
        self.other_url = ""
        self.map = catalog.SiteMap()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        """Bind both loopback hosts, lay out the faults, serve; return the main base URL."""
        if self._servers:
            return self.base_url
        for host in ("127.0.0.1", "127.0.0.2"):
            server = _Server((host, 0), _Handler)
            server.site = self
            self._servers.append(server)
        main, other = (s.server_address[:2] for s in self._servers)
        self.base_url = f"http://{main[0]!s}:{main[1]!s}"
        self.other_url = f"http://{other[0]!s}:{other[1]!s}"
        self.map = catalog.build(self.base_url, self.other_url, utcnow(), self.count, self.slow)
        for server in self._servers:
            t = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            t.start()
            self._threads.append(t)
        return self.base_url

    def stop(self) -> None:
        """Stop both servers. Handlers still sleeping in slow faults are daemon threads."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> FaultSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the tests read ---------------------------------------------------------------
    @property
    def faults(self) -> list[catalog.Fault]:
        return list(self.map.faults)

    @property
    def good(self) -> list[GoodArticle]:
        return self.map.good

    @property
    def hits(self) -> list[Hit]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._hits)

    def requests_for(self, prefix: str) -> list[Hit]:
        return [h for h in self.hits if h.path.startswith(prefix)]

    def count(self, path: str) -> int:
        """How many requests for ``path`` have arrived so far (the current one included)."""
        with self._lock:
            return self._arrivals[path]

    def sources_toml(self) -> str:
        """``[[sources]]`` tables, one per fault, for a crawl config."""
        out = []
        for f in self.faults:
            out.append(
                f'[[sources]]\nname = "{f.name}"\nurl = "{self.base_url}{f.entry}"\n'
                f'kind = "{f.kind}"\nmax_articles = {f.max_articles}\n'
            )
        return "\n".join(out)

    # -- serving ---------------------------------------------------------------------------
    def _serve(self, req: r.Request, sock: object) -> None:
        import socket

        assert isinstance(sock, socket.socket)
        path = req.path.split("?", 1)[0]
        with self._lock:
            self._arrivals[path] += 1
            # Logged on arrival (status -1 until answered): a slow answer still being
            # written when the crawl ends must count as a request made.
            index = len(self._hits)
            self._hits.append(Hit(req.host, req.path, -1, time.monotonic()))
        handler = self.map.routes.get(path)
        if path == "/robots.txt":
            handler = r.ok(ROBOTS, "text/plain")
        status = 0
        try:
            status = r.error(404)(req, sock) if handler is None else handler(req, sock)
        except OSError:
            status = 0  # the crawler hung up first (timeouts, size caps): logged as 0
        finally:
            with self._lock:
                self._hits[index] = replace(self._hits[index], status=status)
