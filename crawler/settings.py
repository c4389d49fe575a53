"""Scrapy settings for a newsmon crawl, built from a CrawlJob: the one place they are set."""

from __future__ import annotations

from typing import Any

import msgspec

from crawler.spec import CrawlJob

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 100,
    "crawler.pipelines.score.ScorePipeline": 200,
    "crawler.pipelines.watch.WatchPipeline": 220,
    "crawler.pipelines.signature.SignaturePipeline": 250,
    # Duplicate check and store in one transaction (see the stage).
    "crawler.pipelines.store.StorePipeline": 400,
}

DOWNLOADER_MIDDLEWARES = {
    # Before everything, robots.txt included: refuse unsafe schemes and private hosts.
    "crawler.middlewares.safe_target.SafeTargetMiddleware": 50,
    # Scrapy's robots.txt and retry middlewares, in their places, logging a download that
    # failed at DEBUG: the spider logs it once, with its source.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.quiet.QuietRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.quiet.QuietRetryMiddleware": 550,
    # After RobotsTxtMiddleware (100): robots.txt is parsed by the time requests get here.
    "crawler.middlewares.crawl_delay.CrawlDelayMiddleware": 110,
    # Redirected requests come back through the chain; drop those landing on stored URLs.
    "crawler.middlewares.known_urls.KnownUrlMiddleware": 120,
    # Responses pass middlewares from high to low numbers: this one sees a 429/503 before
    # Scrapy's RetryMiddleware (550) and retries it only after its Retry-After.
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    # Off with COOKIES_ENABLED too: Scrapy loads the class even when it is disabled, and its
    # module imports tldextract and requests (about 60 ms of every crawl's start-up).
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    # The same redirects, without decoding every page in this process (see the module).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.HeadMetaRefreshMiddleware": 580,
}

EXTENSIONS = {
    # What the stages share: the extraction pool, the fetch order, the duplicate index and
    # the spider's URL callbacks (see the module). Every stage looks it up.
    "crawler.state.CrawlState": 0,
    # Only records the process's peak RSS in the run's stats (nothing reads it) and, when a
    # limit is set (newsmon sets none), mails or stops; its module imports scrapy.mail.
    "scrapy.extensions.memusage.MemoryUsage": None,
    # Never configured by newsmon (no FEEDS; TELNETCONSOLE_ENABLED is False): not loaded at all.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}


def build_settings(job: CrawlJob, run_id: int | None = None) -> dict[str, Any]:
    """Scrapy settings for ``job``; ``NEWSMON_*`` keys are read by newsmon's components."""
    o = job.options
    return {
        "BOT_NAME": "newsmon",
        "TWISTED_REACTOR": ASYNCIO_REACTOR,
        "USER_AGENT": o.user_agent,
        "ROBOTSTXT_OBEY": o.obey_robots,
        "CONCURRENT_REQUESTS": o.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": o.concurrent_per_domain,
        "DOWNLOAD_DELAY": o.download_delay,
        "AUTOTHROTTLE_ENABLED": o.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(o.download_delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(o.concurrent_per_domain),
        "DOWNLOAD_TIMEOUT": o.timeout,
        "RETRY_ENABLED": o.retries > 0,
        "RETRY_TIMES": o.retries,
        "DOWNLOAD_MAXSIZE": o.max_page_bytes,
        "DOWNLOAD_WARNSIZE": max(o.max_page_bytes // 2, 1),
        "REDIRECT_MAX_TIMES": 5,
        # Scrapy's cookie middleware makes tldextract fetch the public suffix list from the
        # internet; news pages need no cookies anyway.
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Only http(s) is ever fetched (SafeTargetMiddleware refuses the rest too).
        "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "EXTENSIONS": EXTENSIONS,
        "ITEM_PIPELINES": ITEM_PIPELINES,
        # An item that fails in a stage is logged once by the spider, not with its whole text.
        "LOG_FORMATTER": "crawler.logformatter.NewsmonLogFormatter",
        # Outputs of one callback processed in parallel: a listing's article requests are
        # scheduled in chunks of this size, which sets the order articles are fetched in.
        "CONCURRENT_ITEMS": 64,
        # What bounds the items in flight across responses: Scrapy stops downloading while the
        # responses being processed (bodies held until their item is done) exceed this many
        # bytes (default 5 MB). News pages average about 300 kB (the corpus): 12 MB keeps
        # some 40 pages in the stages, enough to keep every worker fed.
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 12_000_000,
        "LOG_LEVEL": "INFO",
        # Scrapy reads each generator callback's source on its first call to warn about
        # `return value` in it (10-20 ms each); tests/crawler/test_spider.py checks that instead.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "STATS_DUMP": False,
        # Longest Retry-After honoured (seconds); a longer one gives the URL up for this run.
        "NEWSMON_RETRY_AFTER_MAX": 60.0,
        "NEWSMON_ALLOW_PRIVATE_ADDRESSES": o.allow_private_addresses,
        "NEWSMON_EXTRACT_WORKERS": o.extract_workers,
        "NEWSMON_EXTRACT_TIMEOUT": o.extract_timeout,
        "NEWSMON_MAX_TASKS_PER_WORKER": 0,  # 0 = never recycle (see crawler/state.py)
        "NEWSMON_DATABASE_URL": job.database_url,
        "NEWSMON_MODEL_DIR": job.model_dir,
        "NEWSMON_SEEDS_DIR": job.seeds_dir,
        "NEWSMON_THRESHOLD": job.threshold,
        "NEWSMON_WATCH": [msgspec.structs.asdict(r) for r in job.watch],
        "NEWSMON_NEAR_THRESHOLD": job.near_threshold,
        "NEWSMON_NUM_PERM": job.num_perm,
        "NEWSMON_SHINGLE_WORDS": job.shingle_words,
        "NEWSMON_RUN_ID": run_id,
    }
