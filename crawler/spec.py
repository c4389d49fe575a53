"""Plain descriptions of what to crawl and how: built by the config loader, read by the spider.

These are the crawler's inputs. They hold plain values only so that tests can build them
directly and the crawl can be started from any caller. ``SourceSpec`` and ``CrawlOptions`` are
also the config's schema for ``[[sources]]`` and ``[crawl]`` (scheduler/config.py): their
ranges and formats are declared on the fields and checked when the config is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

from crawler.watch import WatchRule
from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS

SourceKind = Literal["feed", "sitemap", "page"]
SOURCE_KINDS: tuple[str, ...] = ("feed", "sitemap", "page")

# A value that ends up in an HTTP or mail header must not smuggle in extra header lines. The
# description is what a config error says was expected (scheduler/config.py). \Z, not $: a
# pattern is searched, and $ matches before a final newline.
OneLine = Annotated[
    str,
    msgspec.Meta(
        pattern=r"\A[^\x00-\x1f\x7f]*\Z", description="one line without control characters"
    ),
]


class SourceSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One configured source (``[[sources]]``; the ranges are checked when the config loads).

    ``kind`` is ``feed`` (RSS 2.0, Atom, RDF, JSON Feed), ``sitemap`` (urlset, index, .gz,
    Google News) or ``page`` (a section page whose article links are followed).
    """

    name: str
    url: str
    kind: SourceKind
    language: str | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_articles: Annotated[int, msgspec.Meta(ge=1)] = 100
    max_depth: Annotated[int, msgspec.Meta(ge=0)] = 1
    enabled: bool = True
    group: str = "default"


class CrawlOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How politely and how far to crawl (``[crawl]``). Defaults suit public news sites."""

    user_agent: OneLine = "newsmon/0.1 (+mailto:change-me@example.org)"
    obey_robots: bool = True
    concurrent_requests: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 16
    concurrent_per_domain: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    download_delay: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 1.0
    autothrottle: bool = True
    timeout: Annotated[float, msgspec.Meta(ge=0.1, le=3600)] = 30.0
    retries: Annotated[int, msgspec.Meta(ge=0, le=20)] = 2
    max_page_bytes: Annotated[int, msgspec.Meta(ge=1024, le=2**31)] = 5_000_000
    max_article_age_days: Annotated[int, msgspec.Meta(ge=0, le=36500)] = 7
    extract_workers: Annotated[int, msgspec.Meta(ge=0, le=256)] = 0  # 0 = one per CPU core
    # Seconds one page's extraction may take; a page that takes longer fails and its worker is
    # replaced (a page that makes lxml or trafilatura spin must not stop the crawl).
    extract_timeout: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 30.0
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class CrawlJob:
    """Everything one crawl run needs, as plain values (built by ``scheduler.crawljob``)."""

    sources: tuple[SourceSpec, ...]
    options: CrawlOptions
    database_url: str
    model_dir: str
    seeds_dir: str
    threshold: float
    near_threshold: float = DEFAULT_NEAR_THRESHOLD
    num_perm: int = DEFAULT_NUM_PERM
    shingle_words: int = DEFAULT_SHINGLE_WORDS
    watch: tuple[WatchRule, ...] = ()  # [[watch]] rules (crawler.watch)
    # ``[fleet]``: the Redis frontier's URL and key prefix (None: no fleet, one process).
    fleet_url: str | None = None
    fleet_prefix: str = "newsmon"
