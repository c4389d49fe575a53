"""One polite GET for the ``sources`` commands (outside a crawl): the config's user agent,
timeout and size limit, and the same refusal of private addresses as the crawl."""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import IO, Any
from urllib.parse import urlsplit

from crawler.addresses import host_refusal, is_public_address
from crawler.spec import CrawlOptions
from storage.exceptions import UsageError


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str | None
    body: bytes


class FetchError(UsageError):
    """The page could not be fetched (reported by name, exit 2)."""


def _check_host(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url!r}")
    if allow_private:
        return
    refusal = host_refusal(parts.hostname)
    if refusal is None:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchError(f"cannot resolve {parts.hostname}: {exc}") from None
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not is_public_address(ip):
                refusal = f"{parts.hostname} resolves to {ip}, not a public address"
                break
    if refusal is not None:
        raise FetchError(
            f"{url} is refused: {refusal}; set [crawl] allow_private_addresses = true "
            "to use local sites"
        )


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check_host(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, options: CrawlOptions) -> Fetched:
    """GET ``url``; raises FetchError for refused addresses, network errors and HTTP errors."""
    allow = options.allow_private_addresses
    _check_host(url, allow)
    opener = urllib.request.build_opener(_SafeRedirects(allow))
    request = urllib.request.Request(url, headers={"User-Agent": options.user_agent})
    try:
        with opener.open(request, timeout=options.timeout) as resp:
            body = resp.read(options.max_page_bytes + 1)
            headers: Any = resp.headers
            final, status = resp.geturl(), resp.status
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} for {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot fetch {url}: {reason}") from None
    if len(body) > options.max_page_bytes:
        raise FetchError(f"{url} is larger than [crawl] max_page_bytes")
    return Fetched(final, status, headers.get("Content-Type"), body)
