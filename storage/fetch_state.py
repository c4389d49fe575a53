"""Conditional-GET state (ETag / Last-Modified) per feed or sitemap URL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage._dialect import upsert_insert
from storage.models import FetchState, utcnow

NOT_MODIFIED = 304


def get_validators(session: Session, url: str) -> tuple[str | None, str | None]:
    """``(etag, last_modified)`` last seen for ``url``, or ``(None, None)``."""
    row = session.execute(
        select(FetchState.etag, FetchState.last_modified).where(FetchState.url == url)
    ).first()
    if row is None:
        return None, None
    return row[0], row[1]


def save_validators(
    session: Session,
    url: str,
    source: str,
    etag: str | None,
    last_modified: str | None,
    status: int,
) -> None:
    """Remember the validators of a response to ``url`` (upsert on ``url``).

    A 304 often comes without validators: the stored ones are then kept, since they still
    describe the copy we have. A 200 replaces them (a server that drops its ETag means it).
    """
    table = FetchState.__table__
    stmt = upsert_insert(session, table).values(
        url=url,
        source=source,
        etag=etag,
        last_modified=last_modified,
        last_status=status,
        fetched_at=utcnow(),
    )
    excluded = stmt.excluded
    if status == NOT_MODIFIED:
        etag_value = func.coalesce(excluded.etag, table.c.etag)
        modified_value = func.coalesce(excluded.last_modified, table.c.last_modified)
    else:
        etag_value = excluded.etag
        modified_value = excluded.last_modified
    stmt = stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "source": excluded.source,
            "etag": etag_value,
            "last_modified": modified_value,
            "last_status": excluded.last_status,
            "fetched_at": excluded.fetched_at,
        },
    )
    session.execute(stmt)
