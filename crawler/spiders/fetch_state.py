"""Conditional-GET validators for feeds and sitemaps, read and written through storage."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_scope
from storage.fetch_state import get_validators, save_validators


class FetchStateStore:
    """ETag / Last-Modified per listing URL; ``sessions`` must be a write session factory."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, url: str) -> tuple[str | None, str | None]:
        with session_scope(self.sessions) as session:
            return get_validators(session, url)

    def save(
        self, url: str, source: str, etag: str | None, last_modified: str | None, status: int
    ) -> None:
        with session_scope(self.sessions) as session:
            save_validators(session, url, source, etag, last_modified, status)


class MemoryFetchState:
    """The same interface in memory, for tests and for dry runs."""

    def __init__(self) -> None:
        self.validators: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self.validators.get(url, (None, None))

    def save(
        self, url: str, source: str, etag: str | None, last_modified: str | None, status: int
    ) -> None:
        if status != 304 or (etag or last_modified):
            self.validators[url] = (etag, last_modified)
