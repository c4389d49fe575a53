"""Scrapy's log messages, with items that fail or are dropped kept to one line.

The spider logs an item that fails in a pipeline stage once, with its source, URL and reason,
and counts it as an error of its source (``NewsSpider.item_error``). Scrapy's own message would
repeat it at ERROR with the whole item (page text included) and a traceback: it goes to DEBUG
(``-vv``). A dropped item (a page with no article text, say) is counted and logged in one line
by the stage that drops it: Scrapy's WARNING with the whole item, which under cron (``-q``) was
mailed for every such page, becomes a one-line DEBUG message.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


def _one_line(msg: str, item: Any, **args: object) -> LogFormatterResult:
    """A DEBUG message naming the item by its URL, never by its whole content."""
    return {
        "level": logging.DEBUG,
        "msg": msg,
        "args": {"url": getattr(item, "url", type(item).__name__), **args},
    }


class NewsmonLogFormatter(LogFormatter):
    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return _one_line("Error processing %(url)s", item)

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return _one_line("Dropped %(url)s: %(reason)s", item, reason=exception)
