"""Which frontier a command uses: ``--frontier URL``, else ``[fleet] redis_url``, checked.

A fleet needs a database every machine can reach: SQLite with a frontier is a config error.
An unreachable Redis is one too (exit 2), named with the key it came from.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from crawler.spec import CrawlJob
from scheduler.config import Config
from storage.exceptions import ConfigError

KEY = "fleet.redis_url"


def frontier_url(cfg: Config, override: str | None = None) -> str | None:
    """The frontier's URL, or None when no fleet is configured; raises ConfigError."""
    url = override or cfg.fleet.redis_url
    if not url:
        return None
    path = str(cfg.path) if cfg.path else None
    where = "--frontier" if override else KEY
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ConfigError(
            f"{where}: expected a redis:// URL such as redis://127.0.0.1:6379/0, got {url!r}",
            path=path,
            key=KEY,
        )
    if cfg.database_url.startswith("sqlite"):
        raise ConfigError(
            "a fleet of workers needs a database every worker can reach: set [storage] url "
            "to a postgresql:// URL (SQLite is for one machine)",
            path=path,
            key="storage.url",
        )
    return url


def check_reachable(url: str, cfg: Config, *, from_cli: bool = False) -> None:
    """Ping the frontier; ConfigError (exit 2) with the key and file when it cannot."""
    from redis.exceptions import RedisError

    from crawler.fleet.setup import connect

    try:
        connect(url).ping()
    except (RedisError, ValueError) as exc:
        raise ConfigError(
            f"{'--frontier' if from_cli else KEY}: cannot reach Redis at {url}: {exc}",
            path=str(cfg.path) if cfg.path else None,
            key=KEY,
        ) from None


def with_frontier(job: CrawlJob, cfg: Config, override: str | None) -> CrawlJob:
    """``job`` with the fleet's frontier set, when one is configured (checked, reachable)."""
    url = frontier_url(cfg, override)
    if url is None:
        return job
    check_reachable(url, cfg, from_cli=bool(override))
    return dataclasses.replace(job, fleet_url=url, fleet_prefix=cfg.fleet.key_prefix)
