"""Reviewer labels and the queries behind review, train and rescore.

add_label(session, article_id, relevant, reviewer, note=None) -> int   # and apply it
undo_label(session, label_id, threshold) -> Article | None   # back to the label before
latest_labels(session) -> list[LabelledArticle]       # the newest label per article
review_queue(session, threshold, limit) -> list[Article]   # most uncertain first
get_article(session, article_id) / find_article(session, url)
article_batches(session, batch_size) -> Iterator[list[ArticleText]]   # keyset pages
update_scores(session, updates) -> int
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.exceptions import UsageError
from storage.models import Article, Label, SourceTotal, utcnow


@dataclass(frozen=True)
class LabelledArticle:
    """An article with its newest label."""

    article_id: int
    title: str | None
    text: str
    relevant: bool
    reviewer: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ArticleText:
    """What scoring needs of a stored article."""

    id: int
    title: str | None
    text: str
    language: str | None


@dataclass(frozen=True)
class ScoreUpdate:
    """A new score for one stored article."""

    id: int
    score: float
    relevant: bool
    why: dict[str, Any]
    model_version: str


def add_label(
    session: Session,
    article_id: int,
    relevant: bool,
    reviewer: str,
    note: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Record a label (labels are never overwritten: the newest one per article counts)."""
    if session.get(Article, article_id) is None:
        raise UsageError(f"no article with id {article_id}")
    if not reviewer.strip():
        raise UsageError("a label needs the reviewer's name")
    label = Label(
        article_id=article_id,
        relevant=relevant,
        reviewer=reviewer.strip(),
        note=note,
        created_at=now or utcnow(),
    )
    session.add(label)
    session.flush()
    _apply(session, article_id, label)
    return label.id


def _apply(session: Session, article_id: int, label: Label | None, threshold: float = 0.5) -> None:
    """Make ``label`` (the newest, or None: no label left) the article's relevance, keeping the
    score, and move the source's relevant counter with it. A label on a story's original
    covers its copies too (the story is what the reviewer judged; the digest shows a story
    while any of its articles is relevant), without a label row of their own for training."""
    article = session.get(Article, article_id)
    assert article is not None
    members = [article]
    if article.duplicate_of is None and article.cluster_id is not None:
        members += session.scalars(
            select(Article).where(
                Article.cluster_id == article.cluster_id,
                Article.duplicate_of.is_not(None),
                Article.id != article.id,
            )
        )
    delta: Counter[str] = Counter()
    for member in members:
        was = bool(member.relevant)
        if label is None:
            score = member.relevance_score
            member.label = member.labelled_by = member.labelled_at = None
            member.relevant = None if score is None else score >= threshold
        else:
            member.label = label.relevant
            member.labelled_by = label.reviewer
            member.labelled_at = label.created_at
            member.relevant = label.relevant
        delta[member.source] += int(bool(member.relevant)) - int(was)
    for source, change in delta.items():
        if change:
            session.execute(
                update(SourceTotal)
                .where(SourceTotal.source == source)
                .values(relevant=SourceTotal.relevant + change)
            )
    session.flush()


def undo_label(session: Session, label_id: int, threshold: float) -> Article | None:
    """Withdraw one label: the article goes back to its previous label, or, with none left,
    to its score against ``threshold``. Returns the article (None: no such label)."""
    label = session.get(Label, label_id)
    if label is None:
        return None
    article_id = label.article_id
    session.delete(label)
    session.flush()
    previous = session.scalars(
        select(Label).where(Label.article_id == article_id).order_by(Label.id.desc()).limit(1)
    ).first()
    _apply(session, article_id, previous, threshold)
    return session.get(Article, article_id)


def latest_labels(session: Session) -> list[LabelledArticle]:
    """The newest label of every labelled article, with the article's text, by article id."""
    newest = (
        select(Label.article_id, func.max(Label.id).label("label_id"))
        .group_by(Label.article_id)
        .subquery()
    )
    rows = session.execute(
        select(Label, Article)
        .join(newest, Label.id == newest.c.label_id)
        .join(Article, Article.id == Label.article_id)
        .order_by(Article.id)
    )
    return [
        LabelledArticle(a.id, a.title, a.text, label.relevant, label.reviewer, label.created_at)
        for label, a in rows.tuples()
    ]


def labels_of(session: Session, article_id: int) -> list[Label]:
    """Every label of one article, oldest first."""
    stmt = select(Label).where(Label.article_id == article_id).order_by(Label.id)
    return list(session.scalars(stmt))


def review_queue(
    session: Session, threshold: float, limit: int = 20, *, include_labelled: bool = False
) -> list[Article]:
    """Scored originals (not copies), the most uncertain (score nearest the threshold) first;
    articles already labelled are left out unless ``include_labelled``."""
    stmt = (
        select(Article)
        .where(Article.relevance_score.is_not(None), Article.duplicate_of.is_(None))
        .order_by(func.abs(Article.relevance_score - threshold), Article.id.desc())
        .limit(limit)
    )
    if not include_labelled:
        stmt = stmt.where(~select(Label.id).where(Label.article_id == Article.id).exists())
    return list(session.scalars(stmt))


def get_article(session: Session, article_id: int) -> Article | None:
    return session.get(Article, article_id)


def find_article(session: Session, url: str) -> Article | None:
    """The article stored under ``url`` (as fetched or canonical)."""
    stmt = select(Article).where(or_(Article.url == url, Article.canonical_url == url))
    return session.scalars(stmt.order_by(Article.id).limit(1)).first()


def article_batches(
    session: Session, batch_size: int = 500, *, since_id: int = 0
) -> Iterator[list[ArticleText]]:
    """Every stored article in id order, ``batch_size`` at a time (keyset pagination, so a
    concurrent writer neither skips nor repeats rows already seen)."""
    last = since_id
    while True:
        rows = session.execute(
            select(Article.id, Article.title, Article.text, Article.language)
            .where(Article.id > last)
            .order_by(Article.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield [ArticleText(r.id, r.title, r.text, r.language) for r in rows]
        last = rows[-1].id


def update_scores(session: Session, updates: Sequence[ScoreUpdate]) -> int:
    """Write new scores; returns the number of articles updated. The per-source relevant
    counters (``source_totals``) follow in the same transaction."""
    ids = [u.id for u in updates]
    before = {
        row.id: (row.source, bool(row.relevant), row.label)
        for i in range(0, len(ids), 500)
        for row in session.execute(
            select(Article.id, Article.source, Article.relevant, Article.label).where(
                Article.id.in_(ids[i : i + 500])
            )
        )
    }
    delta: Counter[str] = Counter()
    verdict: dict[int, bool] = {}
    for u in updates:
        # A reviewer's label is the article's relevance: a new score does not override it.
        verdict[u.id] = u.relevant
        if u.id in before:
            source, was, label = before[u.id]
            if label is not None:
                verdict[u.id] = label
            delta[source] += int(bool(verdict[u.id])) - int(was)
    for u in updates:
        session.execute(
            update(Article)
            .where(Article.id == u.id)
            .values(
                relevance_score=u.score,
                relevant=verdict[u.id],
                why=u.why,
                model_version=u.model_version,
            )
        )
    for source, change in delta.items():
        if change:
            session.execute(
                update(SourceTotal)
                .where(SourceTotal.source == source)
                .values(relevant=SourceTotal.relevant + change)
            )
    return len(updates)


def count_relevant(session: Session) -> int:
    """How many stored articles are currently marked relevant (from the per-source
    counters: no pass over the archive)."""
    return int(session.scalar(select(func.sum(SourceTotal.relevant))) or 0)
