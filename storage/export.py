"""The stable export record of an article (``newsmon export``): field names are a contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.models import Article

# Scripts depend on these names (README, "Commands": a contract); only ever append.
EXPORT_FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "canonical_url",
    "source",
    "title",
    "author",
    "published_at",
    "fetched_at",
    "language",
    "site_name",
    "text",
    "relevance_score",
    "relevant",
    "why",
    "duplicate_of",
    "duplicate_kind",
    "cluster_id",
    "label",
    "labelled_by",
    "labelled_at",
)


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC with an explicit offset, or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def export_row(article: Article) -> dict[str, Any]:
    """One article as a JSON-ready dict with exactly :data:`EXPORT_FIELDS`, in that order."""
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "author": article.author,
        "published_at": iso(article.published_at),
        "fetched_at": iso(article.fetched_at),
        "language": article.language,
        "site_name": article.site_name,
        "text": article.text,
        "relevance_score": article.relevance_score,
        "relevant": article.relevant,
        "why": article.why,
        "duplicate_of": article.duplicate_of,
        "duplicate_kind": article.duplicate_kind,
        "cluster_id": article.cluster_id,
        "label": article.label,
        "labelled_by": article.labelled_by,
        "labelled_at": iso(article.labelled_at),
    }
