"""What both fleet roles (discovery and worker) set up: the Redis client and the settings."""

from __future__ import annotations

from typing import Any

from redis import Redis

from crawler.spec import CrawlJob

POLITENESS_MIDDLEWARE = "crawler.fleet.politeness.FleetPolitenessMiddleware"


def connect(url: str) -> Redis:
    """A client for ``url``; blocking pops must return before the socket times out."""
    return Redis.from_url(url, socket_timeout=10, socket_connect_timeout=3)


def apply_fleet_settings(settings: dict[str, Any], job: CrawlJob) -> None:
    """Politeness moves from Scrapy's per-process slots to the fleet's limiter: the local
    delay and AutoThrottle are off, the shared limiter spaces requests to every host."""
    o = job.options
    settings["DOWNLOAD_DELAY"] = 0.0
    settings["RANDOMIZE_DOWNLOAD_DELAY"] = False
    settings["AUTOTHROTTLE_ENABLED"] = False
    settings["NEWSMON_FLEET_DELAY"] = o.download_delay
    settings["NEWSMON_FLEET_URL"] = job.fleet_url
    settings["NEWSMON_FLEET_PREFIX"] = job.fleet_prefix
    # A turn's lease outlives one download (a retry asks for a turn of its own); a killed
    # worker's turn ends with its lease.
    settings["NEWSMON_FLEET_LEASE"] = o.timeout + 5
    mws = dict(settings["DOWNLOADER_MIDDLEWARES"])
    # After CrawlDelayMiddleware (110, reads Crawl-delay) and KnownUrlMiddleware (120).
    mws[POLITENESS_MIDDLEWARE] = 130
    settings["DOWNLOADER_MIDDLEWARES"] = mws
