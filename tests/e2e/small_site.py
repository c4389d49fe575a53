"""A tiny site on 127.0.0.1 for crawl-outcome tests: a few feeds, articles and redirects.

    with SmallSite() as site:
        site.url("/feed.xml")   # http://127.0.0.1:PORT/feed.xml
        site.requests           # paths served, in order

Routes are fixed: ``/feed.xml`` lists two articles and a ``/go/`` link that 301s to the
first of them; ``/other.xml`` lists a third article; ``/loop.xml`` lists ``/loop/a.html``,
which redirects to ``/loop/b.html`` and back; ``/empty.xml`` lists a page with no article
text. Articles carry enough text for extraction.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

ARTICLES = {
    "/articles/succession.html": (
        "The succession question returns to the Kremlin",
        "Officials in Moscow spent the week arguing about who would manage the transition, "
        "and the arguments spilled into the press as rival factions briefed reporters. "
        "Nobody in the presidential administration would name an heir, and the silence "
        "itself became the story in the capital's newspapers. ",
    ),
    "/articles/purge.html": (
        "A purge reaches the General Staff",
        "Three deputy chiefs of the General Staff were dismissed on Tuesday, the latest in a "
        "series of arrests and removals that began in the defence ministry last spring. "
        "Investigators searched offices in two military districts, and a colonel was detained "
        "at an airport on charges of bribery and abuse of office. ",
    ),
    "/articles/mutiny.html": (
        "Two years after the mutiny",
        "The Kremlin still guards against another armed revolt: the private armies were "
        "folded into the National Guard, their commanders replaced, their recruiting offices "
        "closed. Analysts disagree on whether the loyalty of the security services was "
        "bought or merely rented for the duration of the war. ",
    ),
}


def _article(title: str, paragraph: str) -> bytes:
    body = "".join(f"<p>{paragraph} (Part {i}.)</p>\n" for i in range(6))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _rss(base: str, paths: list[str]) -> bytes:
    now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = "".join(
        f"<item><title>{p}</title><link>{base}{p}</link><pubDate>{now}</pubDate></item>"
        for p in paths
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Small</title><link>{base}/</link>{items}</channel></rss>"
    ).encode()


class SmallSite:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def _answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        base = self.base_url
        html = {"Content-Type": "text/html; charset=utf-8"}
        xml = {"Content-Type": "application/rss+xml"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/feed.xml":
            listed = ["/articles/succession.html", "/go/succession", "/articles/purge.html"]
            return 200, xml, _rss(base, listed)
        if path == "/other.xml":
            return 200, xml, _rss(base, ["/articles/mutiny.html"])
        if path == "/loop.xml":
            return 200, xml, _rss(base, ["/loop/a.html"])
        if path == "/empty.xml":
            return 200, xml, _rss(base, ["/articles/empty.html"])
        if path == "/articles/empty.html":  # a page with no article text in it
            return 200, html, b"<html><head><title>Menu</title></head><body><nav></nav></body>"
        if path == "/go/succession":
            return 301, {"Location": base + "/articles/succession.html"}, b""
        if path == "/loop/a.html":
            return 301, {"Location": base + "/loop/b.html"}, b""
        if path == "/loop/b.html":
            return 302, {"Location": base + "/loop/a.html"}, b""
        if path in ARTICLES:
            return 200, html, _article(*ARTICLES[path])
        return 404, html, b"<html><body>not found</body></html>"

    def __enter__(self) -> SmallSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                status, headers, body = site._answer(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
