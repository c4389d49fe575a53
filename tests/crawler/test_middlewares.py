"""Downloader middlewares: unsafe targets refused before any connection; Crawl-delay applied."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import Response

from crawler import stats as st
from crawler.middlewares.crawl_delay import CrawlDelayMiddleware, crawl_delay
from crawler.middlewares.known_urls import AlreadyStored, KnownUrlMiddleware
from crawler.middlewares.safe_target import SafeTargetMiddleware, UnsafeTargetError, is_public

SPIDER = Spider(name="t")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def _run(mw: SafeTargetMiddleware, url: str) -> None:
    asyncio.run(mw.process_request(Request(url, meta={"newsmon_source": "s"}), SPIDER))


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/a", "http://[::1]/a", "http://localhost/a", "http://10.0.0.5/x"],
)
def test_private_hosts_refused_and_counted(url: str) -> None:
    stats = st.DictStats()
    mw = SafeTargetMiddleware(allow_private=False, counter=st.Counter(stats))
    with pytest.raises(UnsafeTargetError):
        _run(mw, url)
    with pytest.raises(UnsafeTargetError):
        _run(mw, url)
    assert stats.values[st.key(st.REFUSED_ADDRESS)] == 2
    assert stats.values[st.key(st.REFUSED_ADDRESS, "s")] == 2


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x"])
def test_non_http_schemes_always_refused(url: str, allow: bool) -> None:
    stats = st.DictStats()
    mw = SafeTargetMiddleware(allow_private=allow, counter=st.Counter(stats))
    with pytest.raises(UnsafeTargetError):
        _run(mw, url)
    assert stats.values[st.key(st.REFUSED_SCHEME)] == 1


def test_public_literal_and_allowed_private_pass() -> None:
    # A literal address is judged without any lookup or connection.
    _run(SafeTargetMiddleware(False, st.Counter(st.DictStats())), "http://93.184.216.34/a")
    _run(SafeTargetMiddleware(True, st.Counter(st.DictStats())), "http://127.0.0.1:9/a")


ROBOTS = b"""User-agent: otherbot
Crawl-delay: 9

User-agent: *
Disallow: /private/
Crawl-delay: 1.5
"""


def test_crawl_delay_parsing() -> None:
    assert crawl_delay(ROBOTS, "newsmon/0.1 (+mailto:x@example.org)") == 1.5
    assert crawl_delay(ROBOTS, "otherbot") == 9.0
    assert crawl_delay(b"User-agent: *\nDisallow: /x\n", "newsmon") is None
    assert crawl_delay(b"User-agent: *\nCrawl-delay: 86400\n", "newsmon") == 60.0


@dataclass
class FakeSlot:
    delay: float = 0.0
    randomize_delay: bool = True


@dataclass
class FakeDownloader:
    slots: dict[str, FakeSlot] = field(default_factory=dict)
    per_slot_settings: dict[str, dict[str, Any]] = field(default_factory=dict)


def test_crawl_delay_goes_to_the_slot_and_survives_autothrottle() -> None:
    stats = st.DictStats()
    downloader = FakeDownloader(slots={"news.test": FakeSlot(0.25, True)})
    mw = CrawlDelayMiddleware("newsmon", stats, downloader)
    robots = Request("http://news.test/robots.txt", meta={"dont_obey_robotstxt": True})
    mw.process_response(robots, Response(robots.url, body=ROBOTS), SPIDER)
    slot = downloader.slots["news.test"]
    assert (slot.delay, slot.randomize_delay) == (1.5, False)
    # Slots created later (after idle garbage collection) get it from per-slot settings.
    assert downloader.per_slot_settings["news.test"] == {"delay": 1.5, "randomize_delay": False}
    slot.delay = 0.1  # as AutoThrottle might have done
    req = Request("http://news.test/articles/a.html")
    mw.process_request(req, SPIDER)
    assert slot.delay == 1.5
    assert req.meta["autothrottle_dont_adjust_delay"] is True
    other = Request("http://elsewhere.test/a.html")
    mw.process_request(other, SPIDER)
    assert "autothrottle_dont_adjust_delay" not in other.meta


class KnowsOne(Spider):
    name = "k"

    def is_known(self, url: str) -> bool:
        return url == "http://news.test/articles/a.html"


def test_redirect_to_stored_article_is_dropped() -> None:
    spider = KnowsOne()
    stats = st.DictStats()
    mw = KnownUrlMiddleware(stats)
    meta = {"newsmon_role": "article", "newsmon_source": "s"}
    fresh = Request("http://news.test/articles/a.html", meta=meta)
    assert mw.process_request(fresh, spider) is None  # the spider filtered it already
    redirected = fresh.replace(meta={**meta, "redirect_urls": ["http://news.test/go/a"]})
    with pytest.raises(AlreadyStored):
        mw.process_request(redirected, spider)
    other = Request("http://news.test/articles/b.html", meta={**meta, "redirect_urls": ["x"]})
    assert mw.process_request(other, spider) is None
    assert stats.values[st.key(st.SKIPPED_KNOWN, "s")] == 1
