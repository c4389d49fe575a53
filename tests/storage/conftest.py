"""Storage contract fixtures: every test here runs on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.records import ArticleRecord

T0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on a fresh database of each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Write sessions (SQLite: BEGIN IMMEDIATE), as the crawler uses them."""
    return make_session_factory(engine, write=True)


RecordFactory = Callable[..., ArticleRecord]


@pytest.fixture
def make_record() -> RecordFactory:
    """Build an ArticleRecord with sensible defaults; keyword arguments override fields."""

    def build(url: str, **overrides: Any) -> ArticleRecord:
        values: dict[str, Any] = {
            "url": url,
            "canonical_url": url,
            "source": "example",
            "title": f"Title of {url}",
            "author": None,
            "published_at": T0 - dt.timedelta(hours=1),
            "fetched_at": T0,
            "language": "en",
            "site_name": "Example News",
            "text": f"Body text of {url}.",
            "text_hash": "0" * 64,
            "minhash": None,
            "relevance_score": 0.7,
            "relevant": True,
            "why": {"terms": ["kremlin"], "nearest_seed": "seed1.txt", "summary": "test"},
            "model_version": "test-1",
            "duplicate_of": None,
            "duplicate_kind": None,
            "cluster_id": None,
            "crawl_run_id": None,
        }
        values.update(overrides)
        return ArticleRecord(**values)

    return build


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL half of ``db_url`` tests ``postgres`` (deselect: -m 'not postgres')."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
