"""Housekeeping: drop raw pages past their retention, and routine database maintenance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from storage.models import RawPage


def drop_raw_pages(session: Session, older_than: dt.datetime) -> int:
    """Delete stored raw HTML fetched before ``older_than``; return how many pages went.

    Articles (clean text, scores, clusters) are kept: only the bulky fetched bytes expire.
    """
    result = session.execute(
        delete(RawPage)
        .where(RawPage.fetched_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def maintain(engine: Engine) -> str:
    """Refresh planner statistics; on SQLite also fold the WAL back into the database file.

    Returns a short description of what was done, for the log.
    """
    if engine.dialect.name == "sqlite":
        # On the raw connection: newsmon's engine wraps every SQLAlchemy transaction in
        # BEGIN, and wal_checkpoint cannot truncate the WAL from inside a transaction.
        # https://www.sqlite.org/pragma.html#pragma_optimize and #pragma_wal_checkpoint
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA optimize")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, log_frames, done = cur.fetchone() or (None, None, None)
            cur.close()
        finally:
            raw.close()
        return f"sqlite: optimize; wal_checkpoint busy={busy} frames={log_frames}/{done}"
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # allowed in a transaction block (VACUUM is not)
    return f"{engine.dialect.name}: analyze"
