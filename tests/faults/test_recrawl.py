"""A transient failure must not hide an article for good.

The feed answers conditional GETs (ETag -> 304). One of its articles fails with 500 on the
first crawl (every attempt), then recovers. The next crawl must still fetch and store it: a
crawler that saved the feed's ETag while an article from it had failed would get a 304 and
never see the article again (until the feed changes).
"""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest

from tests.faults import content as c
from tests.faults import harness
from tests.faults import responses as r
from tests.faults.site import FaultSite

pytestmark = pytest.mark.slow
ETAG = '"feed-v1"'


def test_an_article_that_failed_is_fetched_again_next_run(tmp_path: Path) -> None:
    with FaultSite(slow=1.0) as site:
        now = c.utcnow()
        good = [
            c.make_article("recrawl", i, f"/r/good-{i}.html", now - timedelta(hours=i + 1))
            for i in range(2)
        ]
        feed = c.rss([c.FeedItem(site.base_url + g.path, g.title, now) for g in good])

        def conditional_feed(req: r.Request, sock: socket.socket) -> int:
            if req.headers.get("if-none-match") == ETAG:
                sock.sendall(r.head(304, {"ETag": ETAG, "Content-Length": "0"}))
                return 304
            return r.send(sock, 200, feed, "application/rss+xml", ETag=ETAG)

        healthy = r.ok(good[1].body.replace(b"{BASE}", site.base_url.encode()))
        site.map.routes["/r/feed.xml"] = conditional_feed
        site.map.routes[good[0].path] = r.ok(
            good[0].body.replace(b"{BASE}", site.base_url.encode())
        )
        # 500 for the first crawl's request and its one retry, then the article.
        site.map.routes[good[1].path] = lambda req, sock: (
            r.error(500) if site.count(req.path) <= 2 else healthy
        )(req, sock)
        sources = (
            f'[[sources]]\nname = "recrawl"\nurl = "{site.base_url}/r/feed.xml"\nkind = "feed"\n'
        )
        config = harness.write_config(tmp_path, sources, retries=1)
        assert harness.newsmon(config, "init").returncode == 0

        first = harness.crawl(config, timeout=180)
        assert first.returncode == 0, first.stderr[-2000:]
        db_url = f"sqlite:///{tmp_path / 'newsmon.db'}"
        stored = [a["url"] for a in harness.read_db(db_url).articles]
        assert stored == [site.base_url + good[0].path], stored  # the failing one is not stored

        second = harness.crawl(config, timeout=180)
        assert second.returncode == 0, second.stderr[-2000:]
        stored = sorted(a["url"] for a in harness.read_db(db_url).articles)
        assert stored == sorted(site.base_url + g.path for g in good), (
            f"the article that failed once was not fetched again; feed answers: "
            f"{[h.status for h in site.requests_for('/r/feed.xml')]}"
        )
        assert len(site.requests_for(good[0].path)) == 1, "a stored article was fetched twice"
