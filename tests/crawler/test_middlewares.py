"""Downloader middlewares: unsafe targets refused before any connection; Crawl-delay applied."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import Response

from crawler import stats as st
from crawler.middlewares.crawl_delay import CrawlDelayMiddleware, crawl_delay
from crawler.middlewares.known_urls import AlreadyStored, KnownUrlMiddleware
from crawler.middlewares.safe_target import SafeTargetMiddleware, UnsafeTargetError

SPIDER = Spider(name="t")


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


@pytest.fixture
def no_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the middleware asks the resolver: literal hosts are judged as spelled."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"unexpected address lookup {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# The config refuses these as source URLs (tests/scheduler/test_config.py); so must the fetch.
NOT_PUBLIC_URLS = [
    "http://100.64.1.1/a",  # shared address space: the middleware once fetched it
    "http://192.0.0.9/a",  # protocol assignment: the middleware once fetched it
    "http://[64:ff9b::7f00:1]/a",  # loopback through NAT64
    "http://[::ffff:127.0.0.1]/a",
    "http://[2002:7f00:1::]/a",  # 6to4 wrapping loopback
    "http://2130706433/a",  # 127.0.0.1, decimal
    "http://0177.0.0.1/a",  # 127.0.0.1, octal
    "http://0x7f.0.0.1/a",  # 127.0.0.1, hexadecimal
    "http://0xa9fea9fe/latest/meta-data/",  # 169.254.169.254
    "http://127.1/a",
]


@pytest.mark.parametrize("url", NOT_PUBLIC_URLS)
def test_not_public_literals_refused_without_a_lookup(url: str, no_lookups: None) -> None:
    stats = st.DictStats()
    with pytest.raises(UnsafeTargetError, match="not a public one"):
        _run(SafeTargetMiddleware(False, st.Counter(stats)), url)
    assert stats.values[st.key(st.REFUSED_ADDRESS, "s")] == 1
    # crawl.allow_private_addresses lets every one of them through, as before.
    _run(SafeTargetMiddleware(True, st.Counter(st.DictStats())), url)


@pytest.mark.parametrize(
    "url", ["http://[64:ff9b::5db8:d822]/a", "http://[2002:5db8:d822::1]/a", "http://8.8.8.8/"]
)
def test_public_addresses_behind_nat64_or_6to4_pass(url: str, no_lookups: None) -> None:
    _run(SafeTargetMiddleware(False, st.Counter(st.DictStats())), url)


def test_names_resolving_to_a_not_public_address_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resolver is faked: a name that resolves to NAT64 loopback is refused like 127.0.0.1."""

    def fake(host: str, port: object, *args: object, **kwargs: object) -> Any:
        address = {"nat64.example": "64:ff9b::7f00:1", "cgnat.example": "100.64.1.1"}[host]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    for host in ("nat64.example", "cgnat.example"):
        with pytest.raises(UnsafeTargetError, match="not a public address"):
            _run(SafeTargetMiddleware(False, st.Counter(st.DictStats())), f"http://{host}/a")


@pytest.mark.parametrize("target", ["http://0x7f.0.0.1:8080/admin", "http://[64:ff9b::a00:1]/"])
def test_redirect_to_a_not_public_address_is_refused(target: str, no_lookups: None) -> None:
    """A public page redirecting inward: Scrapy's redirect middleware makes a new request, which
    is scheduled again and so passes through every downloader middleware, this check first."""
    from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
    from scrapy.settings import Settings

    first = Request("http://93.184.216.34/story", meta={"newsmon_source": "s"})
    response = Response(first.url, status=302, headers={"Location": target}, request=first)
    redirected = RedirectMiddleware(Settings()).process_response(first, response, SPIDER)
    assert isinstance(redirected, Request) and redirected.url == target
    assert redirected.meta["redirect_urls"] == [first.url]
    stats = st.DictStats()
    with pytest.raises(UnsafeTargetError, match="not a public one"):
        asyncio.run(
            SafeTargetMiddleware(False, st.Counter(stats)).process_request(redirected, SPIDER)
        )
    assert stats.values[st.key(st.REFUSED_ADDRESS, "s")] == 1


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


def knows_one(url: str) -> bool:
    return url == "http://news.test/articles/a.html"


def test_redirect_to_stored_article_is_dropped() -> None:
    spider = Spider("k")
    stats = st.DictStats()
    mw = KnownUrlMiddleware(stats, knows_one)
    meta = {"newsmon_role": "article", "newsmon_source": "s"}
    fresh = Request("http://news.test/articles/a.html", meta=meta)
    assert mw.process_request(fresh, spider) is None  # the spider filtered it already
    redirected = fresh.replace(meta={**meta, "redirect_urls": ["http://news.test/go/a"]})
    with pytest.raises(AlreadyStored):
        mw.process_request(redirected, spider)
    other = Request("http://news.test/articles/b.html", meta={**meta, "redirect_urls": ["x"]})
    assert mw.process_request(other, spider) is None
    assert stats.values[st.key(st.SKIPPED_KNOWN, "s")] == 1
