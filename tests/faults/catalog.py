"""The fault matrix: one source (a feed or a sitemap) per fault, each also listing good articles.

Every fault lives under ``/f/<name>/`` so requests can be attributed to it, and gets its own
source in the crawl config so ``crawl_run_sources`` attributes errors to it too. Good
articles sit next to the faults in the same feeds and sitemaps: "no good article lost" is then
checkable per fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from tests.faults import content as c
from tests.faults import responses as r
from tests.faults.catalog_docs import malformed_docs
from tests.faults.catalog_types import HUGE_BYTES, RETRY_AFTER_S, Fault, SiteMap

__all__ = ["Fault", "SiteMap", "build"]


def build(
    base: str, other_base: str, now: datetime, counter: Callable[[str], int], slow: float
) -> SiteMap:
    """Lay out every fault. ``base`` is this site, ``other_base`` the second loopback host."""
    site = SiteMap()
    bomb = c.gzip_bomb()

    def article(fault: str, i: int, **kw: object) -> c.GoodArticle:
        path = f"/f/{fault}/good-{i}.html"
        return c.make_article(fault, i, path, now - timedelta(hours=i + 1), **kw)  # type: ignore[arg-type]

    def item(url_or_path: str, hours: float = 2) -> c.FeedItem:
        url = url_or_path if "://" in url_or_path else base + url_or_path
        return c.FeedItem(url, "Item", now - timedelta(hours=hours))

    def add(
        name: str,
        what: str,
        *,
        kind: str = "feed",
        counted: bool = False,
        good: int = 1,
        pages: dict[str, r.Handler] | None = None,
        entry: r.Handler | None = None,
        extra_good: tuple[c.GoodArticle, ...] = (),
        max_articles: int = 100,
        unlisted: tuple[c.GoodArticle, ...] = (),
    ) -> Fault:
        goods = tuple(article(name, i) for i in range(good)) + extra_good + unlisted
        fault = Fault(name, kind, what, counted, goods, max_articles)
        for g in goods:
            if g.path.startswith("/f/"):
                ctype = f"text/html; charset={g.encoding}"
                site.routes[g.path] = r.ok(g.body.replace(b"{BASE}", base.encode()), ctype)
        pages = pages or {}
        for sub, handler in pages.items():
            site.routes[fault.prefix + sub] = handler
        if entry is None:
            items = [item(g.path) for g in goods if g not in unlisted]
            items += [item(fault.prefix + sub) for sub in pages if not sub.startswith("_")]
            doc = c.urlset(items) if kind == "sitemap" else c.rss(items)
            ctype = "application/xml" if kind == "sitemap" else "application/rss+xml"
            entry = r.ok(doc, ctype)
        site.routes[fault.entry] = entry
        site.faults.append(fault)
        return fault

    add("control_feed", "well-formed RSS, good articles only", good=3)
    add("control_sitemap", "well-formed sitemap, good articles only", kind="sitemap", good=2)
    body = c.make_article("x", 0, "/x", now).body
    add(
        "slow_headers",
        f"no answer for {slow:g} s",
        counted=True,
        pages={"page.html": r.sleep_then(slow, r.ok(body))},
    )
    add(
        "slow_body",
        f"body dripped over {slow:g} s",
        counted=True,
        pages={"page.html": r.drip(body, slow)},
    )
    add(
        "slow_feed",
        f"the feed itself silent for {slow:g} s",
        counted=True,
        good=0,
        entry=r.sleep_then(slow, r.ok(c.rss([]), "application/rss+xml")),
    )
    add("http_500", "article page always 500", counted=True, pages={"page.html": r.error(500)})
    add("feed_500", "the feed itself always 500", counted=True, good=0, entry=r.error(500))
    flaky = article("http_503_once", 9)
    add(
        "http_503_once",
        f"503 + Retry-After: {RETRY_AFTER_S} once, then the article",
        extra_good=(flaky,),
    )
    site.routes[flaky.path] = r.first_then(
        r.error(503, Retry_After=str(RETRY_AFTER_S)),
        r.ok(flaky.body.replace(b"{BASE}", base.encode())),
        counter,
    )
    limited = article("http_429_once", 9)
    add(
        "http_429_once",
        f"429 + Retry-After: {RETRY_AFTER_S} once, then the article",
        extra_good=(limited,),
    )
    site.routes[limited.path] = r.first_then(
        r.error(429, Retry_After=str(RETRY_AFTER_S)),
        r.ok(limited.body.replace(b"{BASE}", base.encode())),
        counter,
    )
    f429 = add("feed_429_once", "the feed answers 429 + Retry-After once", good=2)
    site.routes[f429.entry] = r.first_then(
        r.error(429, Retry_After=str(RETRY_AFTER_S)), site.routes[f429.entry], counter
    )
    add(
        "drop_mid_body",
        "connection reset mid-body",
        counted=True,
        pages={"page.html": r.truncated(body[: len(body) // 2], len(body), reset=True)},
    )
    add(
        "truncated_body",
        "Content-Length longer than the body",
        counted=True,
        pages={"page.html": r.truncated(body[: len(body) // 2], len(body) * 2)},
    )
    add(
        "broken_chunked",
        "invalid chunk-size line",
        counted=True,
        pages={"page.html": r.broken_chunked(body[: len(body) // 2])},
    )
    add(
        "huge_page",
        "50 MB page with Content-Length",
        counted=True,
        pages={"page.html": r.huge(HUGE_BYTES, chunked=False)},
    )
    add(
        "huge_chunked",
        "50 MB page, chunked, no Content-Length",
        counted=True,
        pages={"page.html": r.huge(HUGE_BYTES, chunked=True)},
    )
    add(
        "redirect_loop",
        "a -> b -> a redirect loop",
        counted=True,
        pages={
            "a.html": r.redirect(base + "/f/redirect_loop/_b.html"),
            "_b.html": r.redirect(base + "/f/redirect_loop/a.html", 302),
        },
    )
    target = c.make_article(
        "redirect_other_host", 5, "/f/redirect_other_host/target.html", now - timedelta(hours=3)
    )
    add(
        "redirect_other_host",
        "301 to a good article on 127.0.0.2",
        unlisted=(target,),
        pages={"go.html": r.redirect(other_base + target.path)},
    )
    site.routes[target.path] = r.ok(target.body.replace(b"{BASE}", other_base.encode()))
    lying = article("charset_header_lies", 1, encoding="windows-1251", declare=None, cyrillic=True)
    add("charset_header_lies", "windows-1251 page, header says utf-8", extra_good=(lying,))
    site.routes[lying.path] = r.ok(
        lying.body.replace(b"{BASE}", base.encode()), "text/html; charset=utf-8"
    )
    koi = article("charset_missing", 1, encoding="koi8-r", declare=None, cyrillic=True)
    add("charset_missing", "KOI8-R page with no charset anywhere", extra_good=(koi,))
    site.routes[koi.path] = r.ok(koi.body.replace(b"{BASE}", base.encode()), "text/html")
    noise = bytes((i * 7919 + 13) % 256 for i in range(200_000))
    add(
        "binary_as_html",
        "200 kB of binary served as text/html",
        counted=True,
        pages={"page.html": r.ok(noise, "text/html")},
    )
    add(
        "boilerplate_only",
        "navigation, cookie banner and footer, no article",
        counted=True,
        pages={"page.html": r.ok(c.boilerplate_page())},
    )
    hostile = add("hostile_links", "feed linking file://, ftp://, javascript: and data: URLs")
    links = [
        "file:///etc/passwd",
        "ftp://127.0.0.1:21/f/hostile_links/x",
        "javascript:alert(1)",
        "data:text/html,<h1>x</h1>",
        "gopher://127.0.0.1:70/1",
    ]
    doc = c.rss([item(g.path) for g in hostile.good]).decode()
    extra = "".join(f"<item><title>x</title><link>{u}</link></item>" for u in links)
    site.routes[hostile.entry] = r.ok(
        doc.replace("</channel>", extra + "</channel>").encode(), "application/rss+xml"
    )
    evil = article("hostile_html", 1)
    script = "&lt;script&gt;alert('xss')&lt;/script&gt;"
    evil = replace(
        evil,
        html=evil.html.replace("<h1>", f"<h1>{script} ", 1)
        .replace("<title>", "<title><script>alert('title')</script> ", 1)
        .replace(
            "<p>",
            f'<p data-huge="{"A" * 100_000}" onclick="alert(1)">&lt;img src=x '
            "onerror=alert(1)&gt; <script>alert('body')</script>",
            1,
        ),
    )
    add(
        "hostile_html",
        "article with script tags, event handlers and a 100 kB attribute",
        extra_good=(evil,),
    )
    broken = article("canonical_broken", 1)
    add(
        "canonical_broken",
        "good article whose rel=canonical is 'http://[broken'",
        extra_good=(broken,),
    )
    site.routes[broken.path] = r.ok(
        broken.body.replace(b'href="{BASE}' + broken.path.encode(), b'href="http://[broken/x')
    )
    malformed_docs(site, add, article, item, base, now, bomb)
    return site
