"""A plain HTTP getter for the demo site's tests (no redirects followed, no raising)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET ``url`` once; 3xx, 4xx and 5xx come back as they are."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return Fetched(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()
