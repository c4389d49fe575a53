"""The item that flows through the pipelines, filled in stage by stage.

spider    -> url, source, body, http_encoding, content_type, hint_* (from feed/sitemap)
100 extract -> text, title, author, published_at, language, site_name, canonical_url,
               body_gz (the raw page compressed in the worker; body is emptied),
               text_hash, minhash, band_keys (signed in the same trip to the worker)
200 score   -> relevance_score, relevant, why, model_version (the extraction trip scores with
               a saved model; this stage scores what comes unscored)
220 watch   -> why["watch"], relevant (a [[watch]] rule matched: always relevant)
250 signature -> text_hash, minhash where extraction did not sign; items back in fetch order
400 store   -> duplicate_of, duplicate_kind, cluster_id, id (the duplicate check and the
               insert in one transaction; see crawler/pipelines/store.py)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    # From the spider
    url: str
    source: str
    body: bytes = b""
    http_encoding: str | None = None
    content_type: str | None = None
    fetched_at: dt.datetime | None = None
    source_language: str | None = None
    hint_title: str | None = None
    hint_published_at: dt.datetime | None = None
    # From extraction
    body_gz: bytes = b""
    canonical_url: str | None = None
    text: str = ""
    title: str | None = None
    author: str | None = None
    published_at: dt.datetime | None = None
    language: str | None = None
    site_name: str | None = None
    # From scoring
    relevance_score: float | None = None
    relevant: bool | None = None
    why: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    # From dedup
    text_hash: str | None = None
    minhash: bytes | None = None
    band_keys: list[int] | None = None  # minhash's LSH band keys (signed with it in a worker)
    duplicate_of: int | None = None
    duplicate_kind: str | None = None  # None, "url", "exact" or "near"
    cluster_id: int | None = None
    # From store
    id: int | None = None
