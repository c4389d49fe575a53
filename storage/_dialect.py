"""Dialect-specific INSERT (for ON CONFLICT clauses) chosen from the session's bind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from storage.exceptions import StorageError


def dialect_name(session: Session) -> str:
    """``sqlite`` or ``postgresql`` (the two backends newsmon supports)."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> Any:
    """An ``INSERT`` construct that has ``on_conflict_do_nothing`` / ``on_conflict_do_update``.

    Both SQLite and PostgreSQL spell ON CONFLICT the same way in SQLAlchemy, but through
    their own ``insert`` functions.
    """
    name = dialect_name(session)
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        # Imported here: SQLite databases never need it (about 25 ms of every start-up).
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    raise StorageError(f"unsupported database backend {name!r}: use SQLite or PostgreSQL")


def upsert_insert_for(conn: Connection, table: Any) -> Any:
    """:func:`upsert_insert` for a Core connection."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    raise StorageError(f"unsupported database backend {name!r}: use SQLite or PostgreSQL")
