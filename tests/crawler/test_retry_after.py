"""Retry-After on 429/503: the retry waits for it (capped), without blocking the reactor."""

from __future__ import annotations

import asyncio
import datetime as dt

from scrapy import Spider
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares.retry_after import RetryAfterMiddleware, parse_retry_after

NOW = dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Mon, 09 Mar 2026 10:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Mon, 09 Mar 2026 09:00:00 GMT", NOW) == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def run(status: int, retry_after: str | None, retries: int = 1) -> tuple[object, list[float]]:
    crawler = get_crawler(Spider, {"RETRY_TIMES": retries})
    spider = Spider("s")
    spider.crawler = crawler
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert crawler.stats is not None
    mw = RetryAfterMiddleware(crawler.stats, max_delay=60, sleep=sleep)  # type: ignore[arg-type]
    req = Request("http://news.test/a.html", meta={"newsmon_source": "s"})
    headers = {"Retry-After": retry_after} if retry_after else {}
    resp = Response(req.url, status=status, headers=headers, request=req)
    out = asyncio.run(mw.process_response(req, resp, spider))
    return out, waits


def test_429_and_503_retry_after_the_wait() -> None:
    for status in (429, 503):
        out, waits = run(status, "3")
        assert isinstance(out, Request) and out.url == "http://news.test/a.html"
        assert out.meta["retry_times"] == 1
        assert waits == [3.0]


def test_no_header_other_status_or_no_retries_left_pass_through() -> None:
    for status, header, retries in ((429, None, 1), (500, "3", 1), (503, "3", 0)):
        out, waits = run(status, header, retries)
        assert isinstance(out, Response) and waits == []


def test_over_the_cap_gives_up_for_this_run() -> None:
    out, waits = run(429, "3600")
    assert isinstance(out, Response) and waits == []
    assert out.request is not None and out.request.meta["dont_retry"] is True
