"""Fixtures of the fleet tests: PostgreSQL databases and the Redis frontier, or skip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _pg_reachable
from tests.fleet.support import PgDatabases, redis_or_skip

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
def redis_up() -> None:
    redis_or_skip()
