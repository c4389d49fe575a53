"""Two fixes for the Scrapy release newsmon is pinned to (2.13.x, see pyproject.toml).

The callback delay. Scrapy 2.13 waits 100 ms before calling every spider callback
(``Scraper.call_spider_async`` awaits ``scrapy.utils.defer._defer_sleep()``, a
``callLater(0.1, ...)``), meant to let the reactor serve pending reads and writes first. Scrapy
dropped the wait in a later release (scrapy/scrapy#8019). For a crawl with nothing new it is a
tenth of the whole run: each listing's callback waits, and the run ends right after them. A
zero-delay call gives the reactor the same chance: the event loop polls for I/O before it runs
expired timers.

The event-loop lookup. Every coroutine Scrapy turns into a Deferred, and every Deferred it turns
into a future (several a page: pipelines, callbacks, middlewares), asks
``scrapy.utils.reactor._get_asyncio_event_loop`` for the loop, which enters
``warnings.catch_warnings()`` and adds a filter each time; adding a filter clears the warnings
module's caches. On the corpus crawl that was 6% of the crawl process's CPU (py-spy, issue 16).
While the reactor runs, the running loop is the answer, and ``asyncio.get_running_loop()`` gives
it for the cost of a C call; outside it, Scrapy's own lookup still runs.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop

from scrapy.core import scraper
from scrapy.utils import defer as scrapy_defer
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


_scrapy_loop_lookup = scrapy_defer._get_asyncio_event_loop  # type: ignore[attr-defined]


def _running_loop_first() -> AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # not on the reactor's thread, or before it runs
        return _scrapy_loop_lookup()


def fast_event_loop_lookup() -> None:
    """Make Scrapy's per-Deferred event-loop lookup return the running loop directly.

    Patches the name ``scrapy.utils.defer`` imported, ``_get_asyncio_event_loop`` (private;
    canary in tests/crawler/test_scrapy_hooks.py). Idempotent.
    """
    scrapy_defer._get_asyncio_event_loop = _running_loop_first  # type: ignore[attr-defined]
