"""Alembic environment: runs on the connection that :func:`storage.migrate.upgrade` passes in."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.search_schema import is_search_object

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via storage.migrate
    raise RuntimeError("run migrations through storage.migrate.upgrade(engine)")

# Tables that live in the same database but are not ours (APScheduler's job store):
# autogenerate must not propose dropping them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name in FOREIGN_TABLES:
        return False
    # The full-text index (FTS5 tables, expression indexes) is DDL, not a model.
    return not is_search_object(name)


context.configure(
    include_object=include_object,
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
