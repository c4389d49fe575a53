"""Scrapy's robots.txt and retry middlewares, without their ERROR lines for failed downloads.

A site that cannot be reached (a refused port, a DNS failure, a timeout) made Scrapy log its
robots.txt failure at ERROR with a full traceback, and "Gave up retrying" at ERROR for each
request, before the spider logged the failure once with its source and counted it as the
source's error. Those messages of Scrapy's now go to DEBUG (``newsmon -vv`` shows them, the
traceback included); the spider's line (source, reason, URL) is the one a user sees.

A request that robots.txt forbids fails with :class:`RobotsForbidden`, so that the spider tells
it from other ignored requests by type (Scrapy raises a plain IgnoreRequest).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.log import failure_to_exc_info
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


class _GiveUpAtDebug(logging.Logger):
    """A logger for :func:`get_retry_request` that logs its "Gave up retrying" (an ERROR) at
    DEBUG, under Scrapy's retry logger (whose level and handlers it inherits)."""

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


RETRY_LOGGER = _GiveUpAtDebug("scrapy.downloadermiddlewares.retry")
RETRY_LOGGER.parent = logging.getLogger("scrapy.downloadermiddlewares.retry")


class QuietRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware; giving up is logged at DEBUG (the spider logs the failure)."""

    def _retry(
        self,
        request: Request,
        reason: str | Exception | type[Exception],
        spider: Spider,
    ) -> Request | None:
        return get_retry_request(
            request,
            reason=reason,
            spider=spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            logger=RETRY_LOGGER,
        )


class RobotsForbidden(IgnoreRequest):
    """robots.txt forbids this request."""


class QuietRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware; a robots.txt that cannot be fetched is logged at DEBUG.

    The site is then crawled as if robots.txt allowed everything (Scrapy's rule); when the
    site itself cannot be reached, its requests fail too and the spider logs them.
    """

    def process_request_2(self, rp: RobotParser | None, request: Request, spider: Spider) -> None:
        # Scrapy's check after robots.txt is parsed (public name, undocumented; its one
        # IgnoreRequest means "forbidden"): tests/crawler/test_scrapy_hooks.py checks it.
        try:
            super().process_request_2(rp, request, spider)
        except IgnoreRequest as exc:
            raise RobotsForbidden(str(exc)) from exc

    def _logerror(self, failure: Failure, request: Request, spider: Spider) -> Failure:
        if failure.type is not IgnoreRequest:
            logger.debug(
                "robots.txt not fetched, crawling as if it allowed everything: %s: %s",
                request.url,
                failure.value,
                exc_info=failure_to_exc_info(failure),
            )
        return failure
