"""Build the CrawlJob for a crawl from the config: which sources, and every setting it needs."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from crawler.spec import CrawlJob
from scheduler.config import Config
from storage.exceptions import ConfigError, UsageError


def build_crawl_job(
    cfg: Config,
    names: Sequence[str] | None = None,
    *,
    max_articles: int | None = None,
) -> CrawlJob:
    """The job for ``names`` (default: every enabled source).

    ``max_articles`` overrides each source's per-run limit (useful for a first look at a
    new source). Raises ConfigError for unknown names and when nothing is left to crawl.
    """
    sources = cfg.enabled_sources(names)
    if not sources:
        raise ConfigError(
            "every source is disabled (enabled = false); enable one, or name it with --source"
            if cfg.sources
            else "no sources to crawl; add [[sources]]",
            path=str(cfg.path) if cfg.path else None,
            key="sources",
        )
    if max_articles is not None:
        if max_articles < 1:
            raise UsageError("--max-articles must be at least 1")
        sources = [msgspec.structs.replace(s, max_articles=max_articles) for s in sources]
    return CrawlJob(
        sources=tuple(sources),
        options=cfg.crawl,
        database_url=cfg.database_url,
        model_dir=str(cfg.resolve(cfg.relevance.model_dir)),
        seeds_dir=str(cfg.seeds_path),
        threshold=cfg.relevance.threshold,
        near_threshold=cfg.dedup.near_threshold,
        num_perm=cfg.dedup.num_perm,
        shingle_words=cfg.dedup.shingle_words,
        watch=cfg.watch,
    )
