"""Refuse requests to non-http(s) schemes and, unless allowed, to private addresses.

A feed or section page can link anywhere, including ``file:``, ``ftp:`` and hosts inside the
network the crawler runs in (``127.0.0.1``, ``10.0.0.0/8``, cloud metadata at
``169.254.169.254``). Every request, redirects and robots.txt included, passes here first;
the host is resolved and refused if any address it resolves to is not public, as
:mod:`crawler.addresses` defines it (the same definition the config applies to source URLs).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from crawler import stats as st
from crawler.addresses import host_refusal, is_public_address, literal_address
from crawler.urls import ALLOWED_SCHEMES

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class UnsafeTargetError(IgnoreRequest):
    """The request was refused before any connection was made."""


class SafeTargetMiddleware:
    """Downloader middleware; ``allow_private`` lets local test sites through."""

    def __init__(self, allow_private: bool, counter: st.Counter) -> None:
        self.allow_private = allow_private
        self.counter = counter
        self._verdicts: dict[str, str | None] = {}  # host -> refusal reason or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(
            crawler.settings.getbool("NEWSMON_ALLOW_PRIVATE_ADDRESSES"),
            st.Counter(crawler.stats),  # type: ignore[arg-type]
        )

    async def _verdict(self, host: str, port: int) -> str | None:
        reason = host_refusal(host)
        if reason is not None or literal_address(host) is not None:
            return reason  # judged from the spelling: an address literal or localhost
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            return None  # let the download fail with the real DNS error, counted as such
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if not is_public_address(ip):
                return f"{host} resolves to {ip}, not a public address"
        return None

    async def process_request(self, request: Request, spider: Spider) -> None:
        parts = urlsplit(request.url)
        source = request.meta.get("newsmon_source")
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            self.counter.inc(st.REFUSED_SCHEME, source)
            raise UnsafeTargetError(f"refused {parts.scheme or 'schemeless'} URL {request.url}")
        if self.allow_private or not parts.hostname:
            return None
        host = parts.hostname
        if host not in self._verdicts:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            self._verdicts[host] = await self._verdict(host, port)
            if self._verdicts[host]:
                # Logged once per host; every refused request is counted.
                logger.warning(
                    "refusing requests to %s: %s (set crawl.allow_private_addresses for "
                    "local sites)",
                    host,
                    self._verdicts[host],
                )
        reason = self._verdicts[host]
        if reason:
            self.counter.inc(st.REFUSED_ADDRESS, source)
            raise UnsafeTargetError(f"refused {request.url}: {reason}")
        return None
