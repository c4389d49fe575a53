"""A fix for the Scrapy release newsmon is pinned to (2.13.x, see pyproject.toml).

Scrapy 2.13 waits 100 ms before calling every spider callback (``Scraper.call_spider_async``
awaits ``scrapy.utils.defer._defer_sleep()``, a ``callLater(0.1, ...)``), meant to let the
reactor serve pending reads and writes first. Scrapy dropped the wait in a later release
(scrapy/scrapy#8019). For a crawl with nothing new it is a tenth of the whole run: each
listing's callback waits, and the run ends right after them. A zero-delay call gives the
reactor the same chance: the event loop polls for I/O before it runs expired timers.
"""

from __future__ import annotations

from scrapy.core import scraper
from twisted.internet.defer import Deferred


def next_reactor_turn() -> Deferred[None]:
    """A Deferred fired on the reactor's next turn, after the I/O it has pending."""
    from twisted.internet import reactor, task  # here: importing it installs a reactor

    return task.deferLater(reactor, 0, lambda: None)  # type: ignore[arg-type]


def remove_callback_delay() -> None:
    """Make Scrapy call spider callbacks on the reactor's next turn instead of 100 ms later.

    Idempotent; a no-op on Scrapy versions without the wait (no ``_defer_sleep`` there).
    """
    if hasattr(scraper, "_defer_sleep"):
        scraper._defer_sleep = next_reactor_turn
