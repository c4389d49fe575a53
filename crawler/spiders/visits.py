"""Remember fetched URLs that gave no article, so that later crawls do not fetch them again.

The spider (404/410, too large, not HTML) and the extraction stage (no article text) report
such URLs here; they are written to ``visited_urls`` in batches (one upsert per batch, not a
transaction per page) and at the end of the crawl. Losing a batch in a crash only means
those URLs are fetched once more next time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from crawler.urls import normalize_url
from storage.engine import session_scope
from storage.visited import Visit, record_visits

FLUSH_EVERY = 100


class VisitLog:
    """Buffers visits and writes them in batches; ``sessions`` must be a write session
    factory, or None (tests, dry runs): then nothing is written."""

    def __init__(
        self, sessions: sessionmaker[Session] | None, flush_every: int = FLUSH_EVERY
    ) -> None:
        self.sessions = sessions
        self.flush_every = flush_every
        self.pending: list[Visit] = []
        self.written = 0

    def not_stored(self, url: str, source: str, reason: str, status: int | None) -> None:
        """``url`` was fetched and gave no article for ``reason`` (see storage.visited)."""
        self.pending.append(Visit(normalize_url(url), reason, status, source))
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered (one transaction)."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        if self.sessions is None:
            return
        with session_scope(self.sessions) as session:
            self.written += record_visits(session, batch)
