"""Migrations build the schema the models describe, on both backends, and rerun safely."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage.engine import make_engine
from storage.migrate import (
    HEAD_REVISION,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from storage.models import Base
from storage.search_schema import is_search_object


def test_fresh_database_is_not_up_to_date_until_upgraded(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        assert current_revision(eng) is None
        assert not is_up_to_date(eng)
        upgrade(eng)
        assert current_revision(eng) == head_revision()
        upgrade(eng)  # a second `newsmon init` changes nothing
        assert is_up_to_date(eng)
    finally:
        eng.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, *_: not is_search_object(name),
            },
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_head_revision_constant_matches_the_migrations() -> None:
    """Commands compare the schema with HEAD_REVISION without loading Alembic: a new migration
    must move it, or every command would refuse the upgraded database (or accept an old one)."""
    assert head_revision() == HEAD_REVISION
