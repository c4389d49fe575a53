"""NewsSpider decisions on inline listings: what is requested, what is skipped, and why."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import inspect
from collections.abc import Generator

from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import is_generator_with_return_value
from twisted.python.failure import Failure

from crawler import stats as st
from crawler.spec import CrawlOptions, SourceSpec
from crawler.spiders.fetch_state import MemoryFetchState
from crawler.spiders.known import MemoryKnownUrls
from crawler.spiders.news import NewsSpider, header_charset

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
BASE = "http://news.test"


def make_spider(
    *sources: SourceSpec, known: tuple[str, ...] = (), max_age: int = 7
) -> tuple[NewsSpider, st.DictStats, MemoryFetchState]:
    state = MemoryFetchState()
    spider = NewsSpider(
        sources, CrawlOptions(max_article_age_days=max_age), MemoryKnownUrls(known), state, now=NOW
    )
    stats = st.DictStats()
    spider._counter = st.Counter(stats)
    return spider, stats, state


def start_requests(spider: NewsSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


def respond(req: Request, body: bytes, status: int = 200, **headers: str) -> Response:
    cls = HtmlResponse if body.lstrip().startswith(b"<html") else TextResponse
    return cls(req.url, body=body, status=status, headers=headers, request=req, encoding="utf-8")


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>t</title><link>{url}</link><pubDate>{date}</pubDate></item>"
        for url, date in items
    )
    return f'<rss version="2.0"><channel><title>x</title>{entries}</channel></rss>'.encode()


FRESH = "Mon, 09 Mar 2026 10:00:00 GMT"
OLD = "Mon, 02 Feb 2026 10:00:00 GMT"


def test_feed_filters_known_seen_old_and_budget() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed", max_articles=2, deny=(r"/opinion/",))
    spider, stats, state = make_spider(feed, known=(f"{BASE}/a/known-story-here.html",))
    (req,) = start_requests(spider)
    body = rss(
        (f"{BASE}/a/known-story-here.html?utm_source=rss", FRESH),  # stored already
        (f"{BASE}/a/first-new-story.html", FRESH),
        (f"{BASE}/a/first-new-story.html?utm_medium=x", FRESH),  # same article again
        (f"{BASE}/a/too-old-story.html", OLD),
        (f"{BASE}/opinion/denied-piece-here.html", FRESH),
        (f"{BASE}/a/second-new-story.html", FRESH),
        (f"{BASE}/a/third-over-budget.html", FRESH),
    )
    out = list(spider.parse_listing(respond(req, body, ETag='"v1"')))
    assert [r.url for r in out] == [
        f"{BASE}/a/first-new-story.html",
        f"{BASE}/a/second-new-story.html",
    ]
    v = stats.values
    assert v["newsmon/source/f/discovered"] == 7
    assert v["newsmon/source/f/skipped/known"] == 1
    assert v["newsmon/source/f/skipped/seen"] == 1
    assert v["newsmon/source/f/skipped/old"] == 1
    assert v["newsmon/source/f/skipped/filtered"] == 1
    assert v["newsmon/source/f/skipped/budget"] == 1
    # The budget cut the feed short: its validators are not saved, so next run re-reads it.
    assert state.validators == {}


def test_conditional_get_and_304() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, _, state = make_spider(feed)
    (req,) = start_requests(spider)
    assert "If-None-Match" not in req.headers
    list(spider.parse_listing(respond(req, rss(), ETag='"v1"', **{"Last-Modified": FRESH})))
    assert state.validators == {}  # saved when the crawl ends, not when the feed is parsed
    spider.closed("finished")
    assert state.validators[f"{BASE}/rss.xml"] == ('"v1"', FRESH)

    spider2, stats2, _ = make_spider(feed)
    spider2.fetch_state = state
    (req2,) = start_requests(spider2)
    assert req2.headers["If-None-Match"] == b'"v1"'
    assert req2.headers["If-Modified-Since"] == FRESH.encode()
    assert 304 in req2.meta["handle_httpstatus_list"]
    assert list(spider2.parse_listing(respond(req2, b"", status=304))) == []
    assert stats2.values["newsmon/source/f/not_modified"] == 1
    assert st.source_counts(stats2.values, "f").errors == 0


def test_no_age_limit_with_zero() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, _, _ = make_spider(feed, max_age=0)
    (req,) = start_requests(spider)
    out = list(spider.parse_listing(respond(req, rss((f"{BASE}/a/ancient-story-x.html", OLD)))))
    assert len(out) == 1


def test_sitemap_index_recurses_and_skips_old_children() -> None:
    sm = SourceSpec("s", f"{BASE}/sitemap.xml", "sitemap")
    spider, stats, _ = make_spider(sm)
    (req,) = start_requests(spider)
    index = f"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{BASE}/sm/new.xml.gz</loc><lastmod>2026-03-09</lastmod></sitemap>
<sitemap><loc>{BASE}/sm/2019.xml</loc><lastmod>2019-01-01</lastmod></sitemap>
</sitemapindex>""".encode()
    (child,) = list(spider.parse_listing(respond(req, index)))
    assert child.url == f"{BASE}/sm/new.xml.gz"
    assert child.meta["newsmon_role"] == "sitemap"
    assert stats.values["newsmon/source/s/skipped/old"] == 1
    urlset = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{BASE}/a/story-from-gz-file.html</loc><lastmod>2026-03-09</lastmod></url>
</urlset>""".encode()
    (article,) = list(spider.parse_listing(respond(child, gzip.compress(urlset))))
    assert article.url == f"{BASE}/a/story-from-gz-file.html"
    assert article.meta["newsmon_hint"].published_at == dt.datetime(2026, 3, 9, tzinfo=dt.UTC)


def test_bad_feed_is_a_counted_source_error() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, stats, _ = make_spider(feed)
    (req,) = start_requests(spider)
    assert list(spider.parse_listing(respond(req, b"<html><body>oops</body></html>"))) == []
    counts = st.source_counts(stats.values, "f")
    assert counts.errors == 1 and counts.failed
    assert "rss.xml" in (counts.last_error or "")


def test_section_page_follows_article_links() -> None:
    page = SourceSpec("p", f"{BASE}/section/politics.html", "page", max_depth=2)
    spider, _, _ = make_spider(page)
    (req,) = start_requests(spider)
    html = b"""<html><body>
<a href="/articles/kremlin-reshuffle-deepens.html">a</a>
<a href="/section/economy.html">s</a>
<a href="http://other.test/articles/off-site-story-here.html">o</a>
</body></html>"""
    out = list(spider.parse_page(respond(req, html)))
    roles = {r.url: r.meta["newsmon_role"] for r in out}
    assert roles == {
        f"{BASE}/articles/kremlin-reshuffle-deepens.html": "article",
        f"{BASE}/section/economy.html": "page",
    }


def test_http_errors_counted_per_source() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, stats, _ = make_spider(feed)
    req = Request(f"{BASE}/gone.html", meta={"newsmon_source": "f"})
    resp = respond(req, b"", status=404)
    failure = Failure(HttpError(resp))
    failure.request = req  # type: ignore[attr-defined]
    spider.on_error(failure)
    counts = st.source_counts(stats.values, "f")
    assert counts.errors == 1 and counts.last_error == f"HTTP 404 for {BASE}/gone.html"


def test_article_item_carries_hints_and_charset() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed", language="ru")
    spider, stats, _ = make_spider(feed, max_age=0)
    (req,) = start_requests(spider)
    (areq,) = list(
        spider.parse_listing(respond(req, rss((f"{BASE}/ru/novost-dnya-segodnya.html", FRESH))))
    )
    body = "<html><body>Новости</body></html>".encode("cp1251")
    resp = HtmlResponse(
        areq.url,
        body=body,
        headers={"Content-Type": "text/html; charset=windows-1251"},
        request=areq,
    )
    (item,) = list(spider.parse_article(resp))
    assert item.http_encoding == "cp1251"  # the codec w3lib resolves the label to
    assert item.source_language == "ru"
    assert item.hint_published_at == dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    assert stats.values["newsmon/source/f/fetched"] == 1


def test_header_charset() -> None:
    assert header_charset('text/html; charset="KOI8-R"') == "koi8-r"
    # Resolved to the WHATWG superset, as browsers read such pages.
    assert header_charset("text/html; charset=ISO-8859-1") == "cp1252"
    assert header_charset("text/html; charset=x-no-such") is None
    assert header_charset("text/html") is None
    assert header_charset(None) is None


def test_validators_saved_under_the_configured_url_after_a_redirect() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, _, state = make_spider(feed)
    (req,) = start_requests(spider)
    moved = req.replace(
        url="https://news.test/feeds/rss.xml", meta={**req.meta, "redirect_urls": [req.url]}
    )
    list(spider.parse_listing(respond(moved, rss(), ETag='"v2"')))
    spider.closed("finished")
    assert state.validators == {f"{BASE}/rss.xml": ('"v2"', None)}


def test_validators_saved_only_when_every_article_ended_for_good() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    body = rss(
        (f"{BASE}/a/first-new-story.html", FRESH), (f"{BASE}/a/second-new-story.html", FRESH)
    )
    for outcome, saved in (("stored", True), ("gone", True), ("5xx", False), ("open", False)):
        spider, _, state = make_spider(feed)
        (req,) = start_requests(spider)
        first, second = spider.parse_listing(respond(req, body, ETag='"v1"'))
        spider.item_scraped(None, respond(first, b"<p>x</p>"), spider)
        if outcome in ("gone", "5xx"):
            status = 404 if outcome == "gone" else 503
            failure = Failure(HttpError(respond(second, b"", status=status)))
            failure.request = second  # type: ignore[attr-defined]
            spider.on_error(failure)
        elif outcome == "stored":
            spider.item_scraped(None, respond(second, b"<p>x</p>"), spider)
        spider.closed("finished")  # "open": the second article never ended (a killed crawl)
        assert (f"{BASE}/rss.xml" in state.validators) is saved, outcome


def test_sitemap_budget_goes_to_the_newest_entries() -> None:
    sm = SourceSpec("s", f"{BASE}/sitemap.xml", "sitemap", max_articles=2)
    spider, _, _ = make_spider(sm, max_age=0)
    (req,) = start_requests(spider)
    urls = "".join(
        f"<url><loc>{BASE}/a/story-number-{d}.html</loc><lastmod>2026-03-0{d}</lastmod></url>"
        for d in (1, 2, 3, 4)
    )
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    out = list(spider.parse_listing(respond(req, body.encode())))
    assert [r.url for r in out] == [
        f"{BASE}/a/story-number-4.html",
        f"{BASE}/a/story-number-3.html",
    ]


def test_robots_forbidding_the_source_url_fails_the_source() -> None:
    from crawler.middlewares.quiet import RobotsForbidden

    feed = SourceSpec("f", f"{BASE}/private/rss.xml", "feed")
    spider, stats, _ = make_spider(feed)
    (req,) = start_requests(spider)
    failure = Failure(RobotsForbidden("Forbidden by robots.txt"))
    failure.request = req  # type: ignore[attr-defined]
    spider.on_error(failure)
    article = Request(f"{BASE}/private/a.html", meta={"newsmon_source": "f"})
    failure2 = Failure(RobotsForbidden("Forbidden by robots.txt"))
    failure2.request = article  # type: ignore[attr-defined]
    spider.on_error(failure2)
    counts = st.source_counts(stats.values, "f")
    assert counts.failed and counts.errors == 1
    assert stats.values["newsmon/source/f/skipped/robots"] == 2


def test_failures_are_told_by_type_not_by_words() -> None:
    from scrapy.exceptions import IgnoreRequest

    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    spider, stats, _ = make_spider(feed)
    article = Request(f"{BASE}/a.html", meta={"newsmon_source": "f", "newsmon_role": "article"})
    # A message that merely mentions robots.txt or a size limit is an ignored request.
    failure = Failure(IgnoreRequest("robots DOWNLOAD_MAXSIZE max size"))
    failure.request = article  # type: ignore[attr-defined]
    spider.on_error(failure)
    assert stats.values["newsmon/source/f/skipped/ignored"] == 1
    assert "newsmon/source/f/skipped/robots" not in stats.values
    assert "newsmon/source/f/visited/too_large" not in stats.values


class RecordingVisits:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, int | None]] = []
        self.flushed = 0

    def not_stored(self, url: str, source: str, reason: str, status: int | None) -> None:
        self.seen.append((url, source, reason, status))

    def flush(self) -> None:
        self.flushed += 1


def test_gone_and_non_html_articles_are_remembered_but_server_errors_are_not() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    visits = RecordingVisits()
    spider = NewsSpider(
        [feed], CrawlOptions(), MemoryKnownUrls(), MemoryFetchState(), now=NOW, visits=visits
    )
    stats = st.DictStats()
    spider._counter = st.Counter(stats)
    for path, status in (("/a/gone.html", 404), ("/a/removed.html", 410), ("/a/busy.html", 503)):
        req = Request(f"{BASE}{path}", meta={"newsmon_source": "f", "newsmon_role": "article"})
        failure = Failure(HttpError(respond(req, b"", status=status)))
        failure.request = req  # type: ignore[attr-defined]
        spider.on_error(failure)
    req = Request(f"{BASE}/a/report.pdf", meta={"newsmon_source": "f", "newsmon_role": "article"})
    pdf = Response(
        req.url, body=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}, request=req
    )
    assert list(spider.parse_article(pdf)) == []
    spider.closed("finished")

    assert [(u.removeprefix(BASE), r, s) for u, _, r, s in visits.seen] == [
        ("/a/gone.html", "not_found", 404),
        ("/a/removed.html", "not_found", 410),
        ("/a/report.pdf", "not_html", 200),
    ]
    assert visits.flushed == 1
    assert stats.values["newsmon/source/f/visited/not_found"] == 2
    assert stats.values["newsmon/visited/not_html"] == 1
    assert st.source_counts(stats.values, "f").errors == 3  # 404, 410 and 503 all count


def test_remembered_urls_are_not_requested_again() -> None:
    feed = SourceSpec("f", f"{BASE}/rss.xml", "feed")
    remembered = f"{BASE}/a/empty-page-no-text.html"
    spider = NewsSpider(
        [feed],
        CrawlOptions(max_article_age_days=0),
        MemoryKnownUrls(visited={remembered}),
        MemoryFetchState(),
        now=NOW,
    )
    stats = st.DictStats()
    spider._counter = st.Counter(stats)
    (req,) = start_requests(spider)
    fresh = f"{BASE}/a/fresh-story-today.html"
    listing = rss((remembered + "?utm_source=rss", FRESH), (fresh, FRESH))
    requested = [r.url for r in spider.parse_listing(respond(req, listing))]
    assert requested == [fresh]
    assert stats.values["newsmon/source/f/skipped/visited"] == 1
    # A redirect landing on a remembered URL is dropped too (KnownUrlMiddleware asks this).
    assert spider.is_known(remembered) and not spider.is_known(fresh)


def test_no_generator_callback_returns_a_value() -> None:
    """A generator's return value is lost, so none of the spider's generators returns one.

    Scrapy checks this on each callback's first call, reading its source at run time; crawls
    turn that off (WARN_ON_GENERATOR_RETURN_VALUE) and this test does it instead.
    """
    generators = [fn for fn in vars(NewsSpider).values() if inspect.isgeneratorfunction(fn)]
    assert {fn.__name__ for fn in generators} >= {"parse_listing", "parse_page", "parse_article"}
    for fn in generators:
        assert not is_generator_with_return_value(fn), fn.__name__

    def returns_a_value() -> Generator[int, None, int]:
        yield 1
        return 2

    assert is_generator_with_return_value(returns_a_value)  # the check itself works
