"""Fixtures of the fleet tests: PostgreSQL databases and the Redis frontier, or skip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _pg_reachable
from tests.fleet.support import REDIS_URL, PgDatabases, redis_or_skip, unique_prefix

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def pg() -> Iterator[PgDatabases]:
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    dbs = PgDatabases()
    try:
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture
def redis_up() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis (its keys deleted after), or skip."""
    redis_or_skip()
    prefix = unique_prefix()
    yield prefix
    from redis import Redis

    server = Redis.from_url(REDIS_URL)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)
