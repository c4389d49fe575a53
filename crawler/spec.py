"""Plain descriptions of what to crawl and how: built by the config loader, read by the spider.

These are the crawler's inputs. They hold plain values only so that tests can build them
directly and the crawl can be started from any caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crawler.watch import WatchRule

SourceKind = Literal["feed", "sitemap", "page"]
SOURCE_KINDS: tuple[str, ...] = ("feed", "sitemap", "page")


@dataclass(frozen=True)
class SourceSpec:
    """One configured source.

    ``kind`` is ``feed`` (RSS 2.0, Atom, RDF, JSON Feed), ``sitemap`` (urlset, index, .gz,
    Google News) or ``page`` (a section page whose article links are followed).
    """

    name: str
    url: str
    kind: SourceKind
    language: str | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_articles: int = 100
    max_depth: int = 1
    enabled: bool = True
    group: str = "default"


@dataclass(frozen=True)
class CrawlOptions:
    """How politely and how far to crawl. Defaults suit public news sites."""

    user_agent: str = "newsmon/0.1 (+mailto:change-me@example.org)"
    obey_robots: bool = True
    concurrent_requests: int = 16
    concurrent_per_domain: int = 2
    download_delay: float = 1.0
    autothrottle: bool = True
    timeout: float = 30.0
    retries: int = 2
    max_page_bytes: int = 5_000_000
    max_article_age_days: int = 7
    extract_workers: int = 0  # 0 = one per CPU core
    # Seconds one page's extraction may take; a page that takes longer fails and its worker is
    # replaced (a page that makes lxml or trafilatura spin must not stop the crawl).
    extract_timeout: float = 30.0
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
    near_threshold: float = 0.8
    num_perm: int = 128
    shingle_words: int = 5
    watch: tuple[WatchRule, ...] = ()  # [[watch]] rules (crawler.watch)
    # ``[fleet]``: the Redis frontier's URL and key prefix (None: no fleet, one process).
    fleet_url: str | None = None
    fleet_prefix: str = "newsmon"
