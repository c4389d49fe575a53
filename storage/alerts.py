"""Immediate alerts as records: which stories qualify, recording before sending, settling.

The same protocol as the digest (storage.digests): a row is committed as ``sending`` with the
exact bytes before anything leaves; ``sent`` after the channel accepted it; ``failed`` when it
refused. Rows left ``sending`` (a crash, a lost reply) or ``failed`` are sent again, byte for
byte, by the next crawl; the unique (story, channel) pair means a story never gets two
different alerts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Alert, Article

SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True)
class Candidate:
    """A newly stored story that qualifies for an alert."""

    article_id: int
    cluster_id: int
    urgent_rules: tuple[str, ...]


def candidates(
    session: Session, *, since: dt.datetime, until: dt.datetime, threshold: float | None
) -> list[Candidate]:
    """Originals stored in the window scoring at or above ``threshold`` (None: score alone
    never alerts) or matched by an urgent watch rule; oldest first. The window is read through
    ``ix_articles_relevant_fetched`` (every qualifying article is relevant)."""
    ids = session.scalars(
        select(Article.id).where(
            Article.relevant.is_(True), Article.fetched_at >= since, Article.fetched_at <= until
        )
    ).all()
    out: list[Candidate] = []
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Article.id,
                Article.cluster_id,
                Article.duplicate_of,
                Article.relevance_score,
                Article.why,
            )
            .where(Article.id.in_(ids[start : start + 500]))
            .order_by(Article.id)
        ).all()
        for aid, cid, dup, score, why in rows:
            if dup is not None:
                continue
            why = why or {}
            urgent = tuple(why.get("watch") or ()) if why.get("urgent") else ()
            high = threshold is not None and score is not None and score >= threshold
            if high or urgent:
                out.append(Candidate(aid, cid if cid is not None else aid, urgent))
    return out


def already_alerted(session: Session, cluster_ids: Sequence[int]) -> set[int]:
    if not cluster_ids:
        return set()
    return set(
        session.scalars(select(Alert.cluster_id).where(Alert.cluster_id.in_(cluster_ids))).all()
    )


def stories_alerted_since(session: Session, since: dt.datetime) -> int:
    """Stories alerted (on any channel) since ``since``: the hourly limit counts these."""
    return int(
        session.scalar(
            select(func.count(func.distinct(Alert.cluster_id))).where(Alert.created_at >= since)
        )
        or 0
    )


def record(
    session: Session,
    *,
    cluster_id: int,
    article_id: int,
    channel: str,
    key: str,
    payload: bytes,
    now: dt.datetime,
) -> int | None:
    """Record an alert as ``sending``; None when this story already has one on ``channel``."""
    row = Alert(
        cluster_id=cluster_id,
        article_id=article_id,
        channel=channel,
        status=SENDING,
        key=key,
        payload=payload,
        created_at=now,
        attempts=1,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def unsettled(session: Session) -> list[Alert]:
    """Alerts recorded but not confirmed sent (``sending`` or ``failed``), oldest first."""
    return list(
        session.scalars(
            select(Alert).where(Alert.status.in_((SENDING, FAILED))).order_by(Alert.id)
        ).all()
    )


def note_retry(session: Session, alert_id: int) -> None:
    session.execute(update(Alert).where(Alert.id == alert_id).values(attempts=Alert.attempts + 1))


def mark_sent(session: Session, alert_id: int, now: dt.datetime) -> None:
    session.execute(
        update(Alert).where(Alert.id == alert_id).values(status=SENT, sent_at=now, error=None)
    )


def note_error(session: Session, alert_id: int, error: str) -> None:
    """The outcome of a send is unknown: the row stays as it is, with the error noted."""
    session.execute(update(Alert).where(Alert.id == alert_id).values(error=error[:2000]))


def mark_failed(session: Session, alert_id: int, error: str) -> None:
    session.execute(
        update(Alert).where(Alert.id == alert_id).values(status=FAILED, error=error[:2000])
    )
