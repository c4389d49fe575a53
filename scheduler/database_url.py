"""check_database_url: a database URL newsmon can use, or a ConfigError that says why.

Checked once, when the config is loaded, so that a wrong ``storage.url``, ``$NEWSMON_DATABASE_URL``
or ``--database-url`` stops every command with exit status 2 and a message naming where the
URL came from, instead of a traceback from SQLAlchemy, a missing driver or the file system at
the first connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from storage.exceptions import ConfigError

SUPPORTED = ("sqlite", "postgresql")
# user:password@ in a URL that cannot be parsed: the password is not shown either.
_PASSWORD = re.compile(r"(://[^/:@]*:)[^@/]*@")
EXAMPLES = "sqlite:///newsmon.db or postgresql://user@host/dbname"


def check_database_url(url: str, *, path: str | None, key: str) -> None:
    """Raise ConfigError (naming ``path`` and ``key``) unless ``url`` is a SQLite or PostgreSQL
    URL whose driver is installed and, for a SQLite file, whose folder can hold it."""

    def fail(message: str) -> ConfigError:
        return ConfigError(message, path=path, key=key)

    try:
        u = make_url(url)
    except (ArgumentError, ValueError) as exc:
        shown = _PASSWORD.sub(r"\1***@", url)
        raise fail(f"expected a database URL such as {EXAMPLES}, got {shown!r}") from exc
    shown = u.render_as_string(hide_password=True)
    if u.get_backend_name() not in SUPPORTED:
        raise fail(
            f"newsmon stores its archive in SQLite or PostgreSQL ({EXAMPLES}), got {shown!r}"
        )
    if u.drivername == "postgresql":  # what storage.engine.make_engine uses for it
        u = u.set(drivername="postgresql+psycopg")
    try:
        u.get_dialect().import_dbapi()
    except NoSuchModuleError as exc:
        raise fail(f"unknown database driver {u.drivername!r} in {shown!r}") from exc
    except ImportError as exc:
        raise fail(
            f"the database driver for {shown!r} is not installed ({exc.name or exc}); "
            f"use {EXAMPLES}"
        ) from exc
    if u.get_backend_name() == "sqlite":
        _check_sqlite_file(u, shown, fail)


def _check_sqlite_file(u: URL, shown: str, fail: Callable[[str], ConfigError]) -> None:
    database = u.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    target = Path(database)
    if target.is_dir():
        raise fail(f"{target} is a folder, not a database file ({shown!r})")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise fail(f"cannot create the database {target}: {parent} is a file, not a folder")
            return
