"""A site on 127.0.0.1 whose pages a test writes: ``site.pages["/feed.xml"] = (type, body)``.

    with RouteSite() as site:
        site.pages["/"] = ("text/html", b"<html>...")
        site.url("/")          # http://127.0.0.1:PORT/
        site.requests          # paths served, in order

Unknown paths answer 404. Bodies may be ``str`` (sent as UTF-8) or ``bytes``; a body that
is a callable is called with the site's base URL first, for pages that link to themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Body = str | bytes | Callable[[str], str | bytes]


class RouteSite:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, Body]] = {}
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> RouteSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                page = site.pages.get(self.path)
                if page is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype, body = page
                if callable(body):
                    body = body(site.base_url)
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
