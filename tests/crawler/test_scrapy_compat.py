"""The fix newsmon applies to its pinned Scrapy: spider callbacks are not delayed by 100 ms."""

from __future__ import annotations

import inspect

import pytest
import scrapy
from scrapy.core import scraper

from crawler.scrapy_compat import next_reactor_turn, remove_callback_delay


def test_callbacks_wait_for_the_next_reactor_turn_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scrapy 2.13 sleeps before every callback (the delay this removes); a newer Scrapy may
    # not, and then this module can go (see its docstring).
    assert scrapy.__version__.startswith("2.13.")
    assert "_defer_sleep()" in inspect.getsource(scraper.Scraper.call_spider_async)
    monkeypatch.setattr(scraper, "_defer_sleep", scraper._defer_sleep)  # restored afterwards
    remove_callback_delay()
    assert scraper._defer_sleep is next_reactor_turn
    remove_callback_delay()  # idempotent
    assert scraper._defer_sleep is next_reactor_turn


def test_deferreds_find_the_running_loop_without_scrapys_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from scrapy.utils import defer as scrapy_defer

    from crawler.scrapy_compat import fast_event_loop_lookup

    monkeypatch.setattr(
        scrapy_defer, "_get_asyncio_event_loop", scrapy_defer._get_asyncio_event_loop
    )
    fast_event_loop_lookup()

    async def inside() -> asyncio.AbstractEventLoop:
        return scrapy_defer._get_asyncio_event_loop()

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(inside()) is loop
    finally:
        loop.close()
    # Outside a running loop Scrapy's own lookup answers (it makes or returns the thread's loop).
    assert isinstance(scrapy_defer._get_asyncio_event_loop(), asyncio.AbstractEventLoop)
