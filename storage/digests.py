"""Digest queries: what is still undelivered to a recipient list, and the send protocol.

Exactly-once delivery rests on three writes, each in its own committed transaction:

1. :func:`record_attempt` stores the digest row (status ``sending``), the exact message and one
   :class:`~storage.models.DigestItem` per article it carries, BEFORE anything is sent;
2. the message is sent;
3. :func:`mark_sent` (or :func:`mark_failed`) settles the row.

Only items of ``sent`` digests count as delivered, so a failed send leaves its articles for the
next digest, and a crash between 2 and 3 (or a send whose outcome is unknown, see
:func:`mark_pending_error`) leaves a ``sending`` row that the next run must settle (see
``scheduler/digest/service.py``) before it builds a new digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, CrawlRunSource, Digest, DigestItem, Source
from storage.skips import skip_reports

SENDING = "sending"
SENT = "sent"
FAILED = "failed"


def recipients_key(recipients: Iterable[str]) -> str:
    """A stable key for a recipient list: sha256 of the sorted, lower-cased addresses."""
    joined = "\n".join(sorted({r.strip().lower() for r in recipients}))
    return hashlib.sha256(joined.encode()).hexdigest()


def last_sent(session: Session, key: str) -> Digest | None:
    """The newest digest that reached the mail server for this recipient list."""
    return session.scalars(
        select(Digest)
        .where(Digest.recipients_key == key, Digest.status == SENT)
        .order_by(Digest.created_at.desc(), Digest.id.desc())
        .limit(1)
    ).first()


def first_sent_at(session: Session, key: str) -> dt.datetime | None:
    """When the first delivered digest for this recipient list was built."""
    return session.scalar(
        select(func.min(Digest.created_at)).where(
            Digest.recipients_key == key, Digest.status == SENT
        )
    )


def pending(session: Session, key: str) -> Digest | None:
    """The oldest digest recorded as ``sending`` and never settled (an interrupted send)."""
    return session.scalars(
        select(Digest)
        .where(Digest.recipients_key == key, Digest.status == SENDING)
        .order_by(Digest.id)
        .limit(1)
    ).first()


# Ids per IN list: well under SQLite's bound-parameter limit.
_CHUNK = 500


def _chunks(values: Sequence[int]) -> Iterator[list[int]]:
    ordered = sorted(values)
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def _delivered(session: Session, key: str, column: Any, ids: set[int]) -> set[int]:
    """Which of ``ids`` (article or cluster ids, per ``column`` of digest_items) a delivered
    digest for ``key`` carried; by index, in chunks."""
    found: set[int] = set()
    for chunk in _chunks(list(ids)):
        found.update(
            session.scalars(
                select(column)
                .join(Digest, Digest.id == DigestItem.digest_id)
                .where(column.in_(chunk), Digest.recipients_key == key, Digest.status == SENT)
            )
        )
    return found


def undelivered_clusters(
    session: Session, key: str, *, since: dt.datetime | None, until: dt.datetime
) -> list[Article]:
    """Every article of each story cluster that has an undelivered relevant article.

    A cluster already carried by a delivered digest is left out entirely, so a late copy of a
    story never mails that story a second time. ``since``/``until`` bound ``fetched_at`` of the
    relevant articles that make a cluster qualify. Articles come back ordered by id.

    Three indexed steps, each as large as the news of the window, never the archive: the
    relevant articles of the window (``ix_articles_relevant_fetched``, covering), which of
    their clusters and articles a delivered digest carried (``digest_items`` by cluster and by
    article), then the members of the clusters left (``ix_articles_cluster_id``).
    """
    window = [Article.relevant.is_(True), Article.fetched_at <= until]
    if since is not None:
        window.append(Article.fetched_at >= since)
    relevant = session.execute(select(Article.id, Article.cluster_id).where(*window)).all()
    if not relevant:
        return []
    clusters = {cid if cid is not None else aid for aid, cid in relevant}
    wanted = clusters - _delivered(session, key, DigestItem.cluster_id, clusters)
    members: dict[int, Article] = {}
    for chunk in _chunks(list(wanted)):
        for art in session.scalars(select(Article).where(Article.cluster_id.in_(chunk))):
            members[art.id] = art
        # An article stored before clusters were always set is its own cluster.
        for art in session.scalars(
            select(Article).where(Article.id.in_(chunk), Article.cluster_id.is_(None))
        ):
            members[art.id] = art
    delivered_articles = _delivered(session, key, DigestItem.article_id, set(members))
    return [
        members[i]
        for i in sorted(members)
        if i not in delivered_articles and members[i].fetched_at <= until
    ]


def record_attempt(
    session: Session,
    *,
    key: str,
    recipients: Sequence[str],
    message_id: str,
    subject: str,
    message: bytes,
    story_count: int,
    items: Sequence[tuple[int, int | None]],
    now: dt.datetime,
) -> int:
    """Store a digest as ``sending`` with its (article_id, cluster_id) items; return its id."""
    digest = Digest(
        recipients_key=key,
        recipients=list(recipients),
        status=SENDING,
        created_at=now,
        message_id=message_id,
        subject=subject,
        message=message,
        story_count=story_count,
        article_count=len(items),
        attempts=1,
    )
    session.add(digest)
    session.flush()
    session.add_all(
        DigestItem(digest_id=digest.id, article_id=aid, cluster_id=cid) for aid, cid in items
    )
    session.flush()
    return digest.id


def note_retry(session: Session, digest_id: int) -> None:
    """Count one more send attempt of a stored digest."""
    session.execute(
        update(Digest).where(Digest.id == digest_id).values(attempts=Digest.attempts + 1)
    )


def mark_sent(session: Session, digest_id: int, now: dt.datetime) -> None:
    """The mail server accepted the digest: its articles now count as delivered."""
    session.execute(
        update(Digest).where(Digest.id == digest_id).values(status=SENT, sent_at=now, error=None)
    )


def mark_failed(session: Session, digest_id: int, error: str) -> None:
    """The send failed: nothing in this digest counts as delivered."""
    session.execute(
        update(Digest).where(Digest.id == digest_id).values(status=FAILED, error=error[:2000])
    )


def digest_article_ids(session: Session, digest_id: int) -> list[int]:
    """The articles a stored digest carries."""
    return list(
        session.scalars(
            select(DigestItem.article_id)
            .where(DigestItem.digest_id == digest_id)
            .order_by(DigestItem.article_id)
        )
    )


@dataclass(frozen=True)
class CrawlTotals:
    """Crawl counters summed over the runs that started in a window."""

    runs: int = 0
    failed_runs: int = 0
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    relevant: int = 0
    duplicates: int = 0
    errors: int = 0


def crawl_totals(session: Session, *, since: dt.datetime | None, until: dt.datetime) -> CrawlTotals:
    """Sum ``crawl_run_sources`` over runs started in ``[since, until]``."""
    window = [CrawlRun.started_at <= until]
    if since is not None:
        window.append(CrawlRun.started_at >= since)
    runs = session.execute(
        select(
            func.count(CrawlRun.id),
            func.count(CrawlRun.id).filter(CrawlRun.status.in_(("failed", "killed"))),
        ).where(*window)
    ).one()
    sums = session.execute(
        select(
            func.coalesce(func.sum(CrawlRunSource.discovered), 0),
            func.coalesce(func.sum(CrawlRunSource.fetched), 0),
            func.coalesce(func.sum(CrawlRunSource.new), 0),
            func.coalesce(func.sum(CrawlRunSource.relevant), 0),
            func.coalesce(func.sum(CrawlRunSource.duplicates), 0),
            func.coalesce(func.sum(CrawlRunSource.errors), 0),
        )
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(*window)
    ).one()
    return CrawlTotals(int(runs[0]), int(runs[1]), *(int(v) for v in sums))


@dataclass(frozen=True)
class SourceHealth:
    """A source that needs attention: it failed, or it returned nothing, in the window."""

    name: str
    problem: str  # "failed", "nothing new", "0 new" or "held back by a filter"
    runs: int
    errors: int
    last_error: str | None
    consecutive_failures: int
    last_success_at: dt.datetime | None
    # Why nothing new came in, in words: "50 older than 7 days, 3 already stored".
    detail: str | None = None


def _latest_error(session: Session, source: str, window: list[Any]) -> str | None:
    """The source's error of its latest run in the window that had one (by run order, not
    the alphabetically largest); an indexed walk of ``crawl_run_sources(source, run_id)``."""
    return session.scalar(
        select(CrawlRunSource.last_error)
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(CrawlRunSource.source == source, CrawlRunSource.last_error.is_not(None), *window)
        .order_by(CrawlRunSource.run_id.desc())
        .limit(1)
    )


def source_health(
    session: Session, *, since: dt.datetime | None, until: dt.datetime
) -> list[SourceHealth]:
    """Sources that failed, or listed nothing at all, in every run of the window.

    A source that was crawled, reachable and simply had no new article is healthy; one whose
    feed listed nothing (and was not answered 304 Not Modified) is reported as "nothing new",
    since an empty feed usually means a moved URL or a changed page layout.
    """
    window = [CrawlRun.started_at <= until]
    if since is not None:
        window.append(CrawlRun.started_at >= since)
    rows = session.execute(
        select(
            CrawlRunSource.source,
            func.count(CrawlRunSource.id),
            func.sum(CrawlRunSource.discovered),
            func.sum(CrawlRunSource.fetched),
            func.sum(CrawlRunSource.not_modified),
            func.sum(CrawlRunSource.errors),
            func.count(CrawlRunSource.last_error),
            func.sum(CrawlRunSource.new),
        )
        .join(CrawlRun, CrawlRun.id == CrawlRunSource.run_id)
        .where(*window)
        .group_by(CrawlRunSource.source)
        .order_by(CrawlRunSource.source)
    ).all()
    names = [r[0] for r in rows]
    health = {
        s.name: s
        for s in session.scalars(
            select(Source).where(or_(Source.name.in_(names), Source.consecutive_failures > 0))
        )
    }
    # Sources that stored nothing in the window: why (storage.skips), from their last runs.
    quiet = skip_reports(session, [r[0] for r in rows if not r[7]])
    out: list[SourceHealth] = []
    seen: set[str] = set()
    for name, runs, discovered, fetched, not_modified, errors, erred, _new in rows:
        last_error = _latest_error(session, name, window) if erred else None
        src = health.get(name)
        problem = None
        detail = None
        skip = quiet.get(name)
        if errors and not (discovered or fetched or not_modified):
            problem = "failed"
        elif not (discovered or not_modified) and not (skip and skip.skipped):
            problem = "nothing new"
        elif src is not None and src.consecutive_failures > 0:
            problem = "failed"
        elif skip is not None and skip.filtered_runs:
            problem = "held back by a filter" if skip.flagged else "0 new"
        if skip is not None and skip.filtered_runs:
            detail = skip.summary
        if problem is None:
            continue
        seen.add(name)
        out.append(
            SourceHealth(
                name=name,
                problem=problem,
                runs=int(runs),
                errors=int(errors or 0),
                last_error=last_error or (src.last_error if src else None),
                consecutive_failures=src.consecutive_failures if src else 0,
                last_success_at=src.last_success_at if src else None,
                detail=detail,
            )
        )
    # Failing sources that were not crawled in the window at all are still worth a line.
    for name, src in sorted(health.items()):
        if name not in seen and src.consecutive_failures > 0 and name not in names:
            out.append(
                SourceHealth(
                    name=name,
                    problem="failed",
                    runs=0,
                    errors=0,
                    last_error=src.last_error,
                    consecutive_failures=src.consecutive_failures,
                    last_success_at=src.last_success_at,
                )
            )
    return out


def mark_pending_error(session: Session, digest_id: int, error: str) -> None:
    """A send whose outcome is unknown, or a resend of an interrupted digest, failed: the digest
    stays ``sending``, with the error noted."""
    session.execute(update(Digest).where(Digest.id == digest_id).values(error=error[:2000]))
