"""Plain records that cross the storage boundary (no ORM state, safe to build anywhere)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleRecord:
    """One article ready to store: clean text, metadata, scores and dedup decision.

    ``raw_body`` (the fetched bytes) is stored gzip'd in ``raw_pages`` when given; a caller
    that compressed it already (in a worker process) passes ``raw_body_gz`` instead.
    ``cluster_id`` may be None for an original: :func:`storage.articles.insert_article`
    then sets it to the new row's own id. ``band_keys`` are the near-duplicate index entries
    of ``minhash``; the URL keys are computed when stored.
    """

    url: str
    canonical_url: str
    source: str
    title: str | None
    author: str | None
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    language: str | None
    site_name: str | None
    text: str
    text_hash: str
    minhash: bytes | None
    relevance_score: float | None
    relevant: bool | None
    why: dict[str, Any] | None
    model_version: str | None
    duplicate_of: int | None
    duplicate_kind: str | None
    cluster_id: int | None
    crawl_run_id: int | None
    raw_body: bytes | None = None
    content_type: str | None = None
    encoding: str | None = None
    raw_body_gz: bytes | None = None  # the raw body already gzip'd (wins over raw_body)
    # LSH band keys of ``minhash`` (``storage.bands.BandLayout.keys``), stored in dedup_bands.
    band_keys: Sequence[int] = ()


@dataclass
class SourceCounts:
    """Per-source counters of one crawl run (stored in ``crawl_run_sources``)."""

    discovered: int = 0
    fetched: int = 0
    new: int = 0
    relevant: int = 0
    duplicates: int = 0
    not_modified: int = 0
    errors: int = 0
    last_error: str | None = None
    # Fetched articles that failed in extraction or a later stage (each also in ``errors``);
    # not a column of crawl_run_sources: it decides ``failed``, which is recorded.
    failed_articles: int = 0
    # Links not fetched, by reason (storage.skips.REASONS), plus the run's age limit.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when the source yielded nothing usable: errors and no listing or page loaded,
        or articles fetched and every one of them failed."""
        if self.errors <= 0:
            return False
        if not (self.discovered or self.fetched or self.not_modified):
            return True
        return 0 < self.fetched <= self.failed_articles
