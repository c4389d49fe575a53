"""Which discovered URLs were stored, or fetched before without an article?

The spider asks the archive once per listing (a batch of indexed lookups,
``storage.known.known_keys``) instead of holding every stored URL in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_scope
from storage.known import STORED, VISITED, known_keys

__all__ = ["STORED", "VISITED", "ArchiveKnownUrls", "KnownUrls", "MemoryKnownUrls"]


class KnownUrls(Protocol):
    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """``{key: STORED | VISITED}`` for the known ones among normalized URLs."""
        ...


class ArchiveKnownUrls:
    """:class:`KnownUrls` answered by the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        wanted = list(keys)
        if not wanted:
            return {}
        with session_scope(self.sessions) as session:
            return known_keys(session, wanted)


class MemoryKnownUrls:
    """:class:`KnownUrls` from sets (tests, scripts)."""

    def __init__(self, stored: Iterable[str] = (), visited: Iterable[str] = ()) -> None:
        self.stored = set(stored)
        self.visited = set(visited)

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for key in keys:
            if key in self.stored:
                found[key] = STORED
            elif key in self.visited:
                found[key] = VISITED
        return found
