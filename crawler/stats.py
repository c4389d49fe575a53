"""Namespaced stats keys, one per decision, and the per-source counts built from them.

Every decision the crawl makes increments a key under ``newsmon/`` in Scrapy's stats
collector (like Scrapy's own ``dupefilter/filtered``). Per-source keys live under
``newsmon/source/<name>/``; the crawl-run record is built from these, never from logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from storage.records import SourceCounts
from storage.skips import AGE_KEY, REASONS

PREFIX = "newsmon/"

# Run-wide keys (a few are also counted per source under the same short name).
DISCOVERED = "discovered"  # article URLs found in listings (before filtering)
SCHEDULED = "scheduled"  # article requests made
FETCHED = "fetched"  # article responses received
NOT_MODIFIED = "not_modified"  # feeds/sitemaps answering 304
SKIPPED_KNOWN = "skipped/known"  # already stored: never requested
SKIPPED_VISITED = "skipped/visited"  # fetched before without an article (no text, 404...)
SKIPPED_SEEN = "skipped/seen"  # already requested in this run (a utm variant, a redirect to it)
SKIPPED_OLD = "skipped/old"  # older than max_article_age_days
SKIPPED_FILTERED = "skipped/filtered"  # deny/allow patterns
SKIPPED_BUDGET = "skipped/budget"  # over the source's max_articles
SKIPPED_PENDING = "skipped/pending"  # fleet: queued or held by a worker already
SKIPPED_ROBOTS = "skipped/robots"  # disallowed by robots.txt
SKIPPED_NOT_ARTICLE = "skipped/not_article"  # page links the article-link heuristic turned down
SKIPPED_OFFSITE = "skipped/offsite"  # page links to another site
SKIPPED_PREFIX = "skipped/"  # per-source reasons are stored by run (storage.skips.REASONS)
SKIPPED_IGNORED = "skipped/ignored"  # other requests a middleware ignored (also an error)
DECOMPRESSED_TOO_LARGE = "refused/decompressed_too_large"  # gzip bombs (also an error)
REDIRECT_LOOP = "redirect/loop"  # redirect back to a URL of its own chain (also an error)
REFUSED_ADDRESS = "refused/private_address"
REFUSED_SCHEME = "refused/scheme"
CRAWL_DELAY = "robots/crawl_delay"  # seconds, last seen
EXTRACT_OK = "extract/ok"
EXTRACT_EMPTY = "extract/empty"
EXTRACT_FAILED = "extract/failed"  # the extraction worker failed (also an error)
ITEM_FAILED = "item/failed"  # a later stage raised (also an error)
RELEVANT = "relevance/relevant"
IRRELEVANT = "relevance/irrelevant"
STORED_NEW = "store/new"
STORED_EXISTING = "store/existing"
STORED_RELEVANT = "store/relevant"  # new articles stored as relevant (originals and copies)
# Fetched URLs remembered as giving no article, by reason: visited/no_text, visited/not_found,
# visited/too_large, visited/not_html (see storage.visited).
VISITED_PREFIX = "visited/"
# Articles a watch-list rule matched, by rule: watch/<rule name> (see crawler.watch).
WATCH_PREFIX = "watch/"
ERRORS = "errors"
LAST_ERROR = "last_error"


def dedup_key(kind: str | None) -> str:
    """``dedup/url``, ``dedup/exact``, ``dedup/near`` or ``dedup/original``."""
    return f"dedup/{kind or 'original'}"


def key(name: str, source: str | None = None) -> str:
    """The full stats key: ``newsmon/<name>`` or ``newsmon/source/<source>/<name>``."""
    if source is None:
        return PREFIX + name
    return f"{PREFIX}source/{source}/{name}"


class StatsSink(Protocol):
    """The part of Scrapy's StatsCollector newsmon writes to (tests pass a dict-backed one)."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def set_value(self, key: str, value: Any) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...


class DictStats:
    """A StatsSink over a plain dict, for tests and for code run outside Scrapy."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


class Counter:
    """Counts a decision run-wide and for its source with one call."""

    def __init__(self, stats: StatsSink) -> None:
        self.stats = stats

    def inc(self, name: str, source: str | None = None, count: int = 1) -> None:
        self.stats.inc_value(key(name), count)
        if source is not None:
            self.stats.inc_value(key(name, source), count)

    def error(self, source: str, message: str) -> None:
        """Count an error for ``source`` and keep its message as the source's last error."""
        self.inc(ERRORS, source)
        self.stats.set_value(key(LAST_ERROR, source), message[:500])


def source_counts(
    stats: Mapping[str, Any], source: str, *, age_days: int | None = None
) -> SourceCounts:
    """The per-source counts of a finished crawl, read from its stats; ``age_days`` (the
    run's age limit) is kept beside the skip counts so they can be told in words later."""

    def get(name: str) -> int:
        value = stats.get(key(name, source), 0)
        return int(value) if isinstance(value, int | float) else 0

    duplicates = sum(get(dedup_key(k)) for k in ("url", "exact", "near"))
    failed_articles = get(EXTRACT_FAILED) + get(ITEM_FAILED)
    last_error = stats.get(key(LAST_ERROR, source))
    skipped = {r: get(SKIPPED_PREFIX + r) for r in REASONS if get(SKIPPED_PREFIX + r)}
    if skipped and age_days:
        skipped[AGE_KEY] = age_days
    return SourceCounts(
        discovered=get(DISCOVERED),
        fetched=get(FETCHED),
        new=get(STORED_NEW),
        relevant=get(STORED_RELEVANT),
        duplicates=duplicates,
        not_modified=get(NOT_MODIFIED),
        errors=get(ERRORS),
        failed_articles=failed_articles,
        last_error=str(last_error) if last_error else None,
        skipped=skipped,
    )
