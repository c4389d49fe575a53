"""Fleet discovery: ``newsmon crawl`` with ``[fleet]`` reads the listings and pushes the
article requests that are not stored (nor pending) to the frontier instead of fetching them."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider

from crawler.fleet.frontier import Frontier
from crawler.fleet.keys import FleetKeys
from crawler.fleet.registry import Registry
from crawler.fleet.setup import apply_fleet_settings, connect
from crawler.spec import CrawlJob

logger = logging.getLogger(__name__)


def prepare_discovery(job: CrawlJob, settings: dict[str, Any]) -> dict[str, Any]:
    """Set the fleet's settings into ``settings``; returns the spider's extra arguments.

    What workers killed since the last discovery held goes back to the queue first.
    """
    assert job.fleet_url
    server = connect(job.fleet_url)
    keys = FleetKeys(job.fleet_prefix)
    apply_fleet_settings(settings, job)

    def frontier_factory(spider: Spider) -> Frontier:
        frontier = Frontier(server, spider, keys)
        moved = frontier.requeue_dead(Registry(server, keys).ids())
        if moved:
            logger.info("requeued %d request(s) held by stopped workers", moved)
        return frontier

    return {"frontier_factory": frontier_factory}
