"""What the demo site answers for each path, independent of the HTTP plumbing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from scheduler.demosite import feeds, sitemaps
from scheduler.demosite.content import TRACKING_QUERY, Article, Catalog
from scheduler.demosite.pages import PageRenderer

SECTIONS = ("politics", "world", "business", "sport", "culture", "science")
STATIC_PAGES = {
    "/about.html": ("About us", "The Northgate Ledger is a fictional newsroom."),
    "/contact.html": ("Contact", "Write to the newsroom at desk@northgate.invalid."),
    "/subscribe.html": ("Subscribe", "Support independent journalism from 1 a month."),
    "/privacy.html": ("Privacy", "We keep as little about you as we can."),
    "/terms.html": ("Terms", "Stories may be quoted with a link."),
    "/login.html": ("Log in", "Subscribers log in here."),
}
RECENT = timedelta(days=3)  # newer articles go in articles.xml, older in the gz archive
NEWS_WINDOW = timedelta(days=2)  # Google News sitemaps list the last two days only
XML = "application/xml; charset=utf-8"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Router:
    """Maps a GET path (and its conditional headers) to a :class:`Response`."""

    def __init__(
        self,
        catalog: Catalog,
        base_url: str,
        crawl_delay: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.catalog = catalog
        self.base_url = base_url
        self.crawl_delay = crawl_delay
        self._clock = clock
        self.pages = PageRenderer(base_url)

    def handle(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        path = raw_path.split("?", 1)[0].split("#", 1)[0]
        if path == "/robots.txt":
            return self._robots()
        feed = self._feed(path)
        if feed is None:
            feed = self._sitemap(path)
        if feed is not None:
            return self._conditional(feed, headers)
        return self._page(path)

    # -- robots, pages ---------------------------------------------------------------------
    def _robots(self) -> Response:
        text = (
            "User-agent: *\n"
            "Disallow: /private/\n"
            "Disallow: /login.html\n"
            f"Crawl-delay: {self.crawl_delay:g}\n\n"
            f"Sitemap: {self.base_url}/sitemap.xml\n"
        )
        return Response(200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def _page(self, path: str) -> Response:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/error.html":
            return Response(500, b"<h1>Internal Server Error</h1>", html)
        if m := re.fullmatch(r"/go/([\w-]+)", path):
            art = self.catalog.get(m.group(1))
            if art is None:
                return Response(404, b"<h1>Not Found</h1>", html)
            return Response(301, b"", {"Location": self.base_url + art.path})
        if m := re.fullmatch(r"/(articles|ru|private)/([\w-]+)\.html", path):
            art = self.catalog.get(m.group(2))
            if art is not None and art.path == path:
                related = [
                    a
                    for a in self.catalog.visible()
                    if a.section == art.section and a is not art and a.lang == art.lang
                ][:3]
                ctype = f"text/html; charset={art.encoding}"
                if art.encoding == "koi8-r":
                    # Declared only in the page's <meta>, as many old Russian sites do.
                    ctype = "text/html"
                return Response(200, self.pages.article(art, related), {"Content-Type": ctype})
        if m := re.fullmatch(r"/syndicated/([\w-]+)\.html", path):
            for syn in self.catalog.syndicated:
                original = self.catalog.get(syn.of)
                if syn.slug == m.group(1) and original is not None:
                    return Response(200, self.pages.syndicated(syn, original), html)
        if (m := re.fullmatch(r"/section/(\w+)\.html", path)) and m.group(1) in SECTIONS:
            # Section pages show current stories; old ones are only in the archive sitemap.
            current = [a for a in self.catalog.visible() if not a.archive_only]
            items = [a for a in current if a.section == m.group(1)]
            body = self.pages.listing(m.group(1).capitalize(), path, items)
            return Response(200, body, html)
        if path in ("/", "/index.html"):
            items = [a for a in self.catalog.visible() if not a.private][:20]
            return Response(200, self.pages.listing("Latest", "/", items), html)
        if path in STATIC_PAGES:
            return Response(200, self.pages.static(*STATIC_PAGES[path]), html)
        if re.fullmatch(r"/(tag|author)/[\w-]+\.html", path):
            name = path.rsplit("/", 1)[1].removesuffix(".html").replace("-", " ").title()
            return Response(200, self.pages.static(name, "Stories are listed here."), html)
        if path == "/static/site.css":
            return Response(200, b"body{font-family:serif}", {"Content-Type": "text/css"})
        return Response(404, b"<h1>Not Found</h1>", html)

    # -- feeds and sitemaps ----------------------------------------------------------------
    def _link(self, art: Article, kind: str) -> str:
        if art.redirect_link:
            return f"{self.base_url}/go/{art.slug}"
        if art.tracking_copy and kind == "json":
            return f"{self.base_url}{art.path}?{TRACKING_QUERY}"
        return self.base_url + art.path

    def _feed(self, path: str) -> Response | None:
        kinds = {
            "/feeds/rss.xml": ("rss", feeds.rss, "application/rss+xml; charset=utf-8"),
            "/feeds/atom.xml": ("atom", feeds.atom, "application/atom+xml; charset=utf-8"),
            "/feeds/rdf.xml": ("rdf", feeds.rdf, "application/rdf+xml; charset=utf-8"),
            "/feeds/feed.json": ("json", feeds.json_feed, "application/feed+json; charset=utf-8"),
        }
        if path not in kinds:
            return None
        kind, render, ctype = kinds[path]
        visible = self.catalog.visible()
        entries = [(a, self._link(a, kind)) for a in visible if kind in self.catalog.feed_kinds(a)]
        if kind == "atom":
            for syn in self.catalog.syndicated:
                original = self.catalog.get(syn.of)
                if original is not None:
                    entries.append((original, self.base_url + syn.path))
        if kind == "rss" and visible:
            # Broken links a real feed carries now and then: a deleted story, a crashing page.
            entries += [(visible[-1], f"{self.base_url}/gone.html")]
            entries += [(visible[-1], f"{self.base_url}/error.html")]
        body = render(self.base_url, entries, self.catalog.last_modified())
        return Response(200, body, {"Content-Type": ctype})

    def _sitemap(self, path: str) -> Response | None:
        now = self._clock()
        public = [a for a in self.catalog.visible() if not a.private]
        recent = [a for a in public if not a.archive_only and now - a.published <= RECENT]
        older = [a for a in public if a not in recent]
        if path == "/sitemap.xml":
            children = [
                ("/sitemaps/articles.xml", max(a.published for a in recent)),
                ("/sitemaps/archive.xml.gz", max(a.published for a in older)),
            ]
            return Response(200, sitemaps.index(self.base_url, children), {"Content-Type": XML})
        if path == "/sitemaps/articles.xml":
            body = sitemaps.urlset(self.base_url, [(a.path, a.published) for a in recent])
            return Response(200, body, {"Content-Type": XML})
        if path == "/sitemaps/archive.xml.gz":
            xml = sitemaps.urlset(self.base_url, [(a.path, a.published) for a in older])
            return Response(200, sitemaps.gzipped(xml), {"Content-Type": "application/x-gzip"})
        if path == "/sitemaps/news.xml":
            fresh = [a for a in recent if now - a.published <= NEWS_WINDOW]
            return Response(200, sitemaps.news(self.base_url, fresh), {"Content-Type": XML})
        return None

    def _conditional(self, resp: Response, headers: Mapping[str, str]) -> Response:
        """Add ETag and Last-Modified; answer 304 when the client's copy is current."""
        etag = '"' + hashlib.sha1(resp.body).hexdigest()[:20] + '"'
        modified = self.catalog.last_modified()
        validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        resp.headers.update(validators)
        inm = headers.get("If-None-Match")
        ims = headers.get("If-Modified-Since")
        if inm is not None:
            # RFC 9110 13.1.2: If-None-Match wins over If-Modified-Since.
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            if etag in tags or "*" in tags:
                return Response(304, b"", validators)
            return resp
        if ims is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return resp
            if since.tzinfo is not None and modified.replace(microsecond=0) <= since:
                return Response(304, b"", validators)
        return resp
