"""A running demo site for the site's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scheduler.demosite import NewsSite


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(crawl_delay=0.3) as s:
        yield s
