"""Run locks that the kernel (or the database server) releases when the process dies.

SQLite: ``flock`` on a file beside the database (``newsmon.db.crawl.lock``).
PostgreSQL: a session-level advisory lock held on a dedicated connection.
Other backends or in-memory SQLite: a lock file in the config folder.

A second run does not wait: it raises :class:`LockHeldError` (exit status 4) at once,
unless ``wait`` is given, in which case it waits up to that many seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import make_engine, sqlite_path
from storage.exceptions import LockHeldError


def _advisory_key(name: str) -> int:
    digest = hashlib.sha256(f"newsmon:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _file_lock(path: Path, name: str, wait: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = ""
                    with suppress(OSError):
                        holder = os.pread(fd, 64, 0).decode().strip()
                    who = f" (pid {holder})" if holder else ""
                    raise LockHeldError(
                        f"another newsmon {name} is running on this database{who}; lock file {path}"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def _pg_lock(url: str, name: str, wait: float) -> Iterator[None]:
    engine = make_engine(url)
    key = _advisory_key(name)
    deadline = time.monotonic() + wait
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    raise LockHeldError(
                        f"another newsmon {name} is running on this database "
                        f"(PostgreSQL advisory lock {key})"
                    )
                time.sleep(0.2)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextmanager
def run_lock(
    database_url: str, name: str, *, fallback_dir: Path, wait: float = 0.0
) -> Iterator[None]:
    """Hold the ``name`` lock ("crawl", "digest", "schedule") for this database."""
    backend = make_url(database_url).get_backend_name()
    if backend == "postgresql":
        with _pg_lock(database_url, name, wait):
            yield
        return
    db = sqlite_path(database_url)
    path = Path(f"{db}.{name}.lock") if db else fallback_dir / f".newsmon.{name}.lock"
    with _file_lock(path, name, wait):
        yield
