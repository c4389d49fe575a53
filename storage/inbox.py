"""The review desk's reading queries: the inbox and one story with its cluster.

inbox(session, since, limit) -> list[InboxItem]     # relevant, unlabelled originals, best first
story(session, article_id) -> Story | None           # an article, its cluster, its labels

Every query is an indexed lookup (``ix_articles_inbox``, ``ix_articles_cluster_id``, the
primary key): the archive is never read whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.models import Article, Label


@dataclass(frozen=True)
class InboxItem:
    """One story waiting for a reviewer."""

    id: int
    title: str
    source: str
    publication: str
    url: str
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    score: float
    summary: str
    copies: int


@dataclass(frozen=True)
class Story:
    """An article, the other articles of its cluster (oldest first), and its labels."""

    article: Article
    cluster: list[Article]
    labels: list[Label]

    @property
    def first_seen(self) -> dt.datetime:
        return min([self.article.fetched_at, *(a.fetched_at for a in self.cluster)])


def publication(site_name: str | None, url: str) -> str:
    """The publication's name: the site name the page gave, else its host."""
    if site_name and site_name.strip():
        return site_name.strip()
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def inbox_query(since: dt.datetime, limit: int) -> Select[tuple[Article]]:
    """Relevant originals without a label fetched since ``since``, best score first."""
    return (
        select(Article)
        .where(
            Article.relevant.is_(True),
            Article.label.is_(None),
            Article.fetched_at >= since,
            Article.duplicate_of.is_(None),
        )
        .order_by(Article.relevance_score.desc(), Article.id.desc())
        .limit(limit)
    )


def copies_query(cluster_ids: list[int]) -> Select[tuple[int | None, int]]:
    return (
        select(Article.cluster_id, func.count())
        .where(Article.cluster_id.in_(cluster_ids))
        .group_by(Article.cluster_id)
    )


def inbox(session: Session, since: dt.datetime, limit: int = 50) -> list[InboxItem]:
    rows = list(session.scalars(inbox_query(since, limit)))
    clusters = [a.cluster_id for a in rows if a.cluster_id is not None]
    counts: dict[int | None, int] = (
        dict(session.execute(copies_query(clusters)).tuples().all()) if clusters else {}
    )
    return [
        InboxItem(
            id=a.id,
            title=(a.title or "").strip() or "(untitled)",
            source=a.source,
            publication=publication(a.site_name, a.url),
            url=a.url,
            published_at=a.published_at,
            fetched_at=a.fetched_at,
            score=a.relevance_score or 0.0,
            summary=str((a.why or {}).get("summary") or ""),
            copies=max(counts.get(a.cluster_id, 1) - 1, 0),
        )
        for a in rows
    ]


def cluster_query(cluster_id: int, limit: int = 200) -> Select[tuple[Article]]:
    return (
        select(Article)
        .where(Article.cluster_id == cluster_id)
        .order_by(Article.fetched_at, Article.id)
        .limit(limit)
    )


def story(session: Session, article_id: int) -> Story | None:
    article = session.get(Article, article_id)
    if article is None:
        return None
    others: list[Article] = []
    if article.cluster_id is not None:
        others = [
            a for a in session.scalars(cluster_query(article.cluster_id)) if a.id != article.id
        ]
    labels = list(
        session.scalars(select(Label).where(Label.article_id == article_id).order_by(Label.id))
    )
    return Story(article=article, cluster=others, labels=labels)
