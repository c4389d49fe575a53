"""CrawlState: what the stages of one crawl share, in one object.

A Scrapy extension (``EXTENSIONS`` in crawler/settings.py), built once per crawl by
:meth:`CrawlState.from_crawler`. It owns

- the extraction pool (started when the first article is requested, shut down when the
  spider closes), which the extraction, score and signature stages submit to;
- the fetch order (crawler/pipelines/ordering.py): items enter at extraction and leave when
  Scrapy reports them scraped, dropped or failed;
- the duplicate index of the store stage (the duplicate check and the insert are one stage);
- the spider's known-URL check (asked by KnownUrlMiddleware for redirect targets) and its
  not-stored record (told by the extraction stage of pages without article text);
- the fleet worker's state, when the crawl is a fleet worker's (its scheduler hands it the
  frontier the spider acks through).

Each stage takes it in its own ``from_crawler`` with :func:`crawl_state`, one lookup through
Scrapy's public ``Crawler.get_extension``. Scrapy builds the spider before the extensions
(``Crawler.crawl``), so the spider is the one part that does not look it up: this object
takes the spider's two URL callbacks from it, once, when it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, signals

from crawler.pipelines.ordering import FetchOrder
from storage.dedup_defaults import (
    DEFAULT_NEAR_THRESHOLD,
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE_WORDS,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.extraction import ExtractionPool
    from crawler.fleet.worker import FleetState
    from storage.dedup import DedupIndex

# Workers are not recycled by default: on Python 3.11 ProcessPoolExecutor's
# max_tasks_per_child does not replace a worker that retires while results are being counted
# (https://github.com/python/cpython/issues/115634), and a crawl then hangs once every worker
# has retired. Measured on the corpus, workers stay near 170 MB RSS (malloc_trim after each
# page), so there is no growth to bound; set NEWSMON_MAX_TASKS_PER_WORKER on Python >= 3.13.
MAX_TASKS_PER_WORKER: int | None = None

IsKnown = Callable[[str], bool]
NotStored = Callable[[str, str, str, "int | None"], None]


def _never_known(url: str) -> bool:
    return False


def _forget(url: str, source: str, reason: str, status: int | None) -> None:
    return None


class CrawlState:
    """The pool, the fetch order, the duplicate index and the spider's URL callbacks.

    ``pool``: one the caller owns and shuts down (tests, scripts); without it the pool is
    started on first use with ``workers`` processes and shut down by :meth:`close`.
    ``is_known`` and ``not_stored`` default to "nothing is known" and "forget it" (stages
    run without a spider). The dedup parameters are None for the archive's defaults.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        pool: ExtractionPool | None = None,
        max_tasks_per_worker: int | None = MAX_TASKS_PER_WORKER,
        near_threshold: float | None = None,
        num_perm: int | None = None,
        shingle_words: int | None = None,
        is_known: IsKnown = _never_known,
        not_stored: NotStored = _forget,
        fleet: FleetState | None = None,
    ) -> None:
        self.workers = workers
        self.max_tasks_per_worker = max_tasks_per_worker
        self._pool = pool
        self._owns_pool = pool is None
        self.order = FetchOrder()
        self._dedup_params = (near_threshold, num_perm, shingle_words)
        self._index: DedupIndex | None = None
        self.is_known = is_known
        self.not_stored = not_stored
        self.fleet = fleet

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from crawler.spiders.news import NewsSpider

        s = crawler.settings
        # Made before the extensions (Crawler.crawl; canary in tests/crawler/test_scrapy_hooks.py).
        spider = crawler.spider
        news = spider if isinstance(spider, NewsSpider) else None
        state = cls(
            s.getint("NEWSMON_EXTRACT_WORKERS", 1),
            max_tasks_per_worker=s.getint("NEWSMON_MAX_TASKS_PER_WORKER") or None,
            near_threshold=s.getfloat("NEWSMON_NEAR_THRESHOLD") or None,
            num_perm=s.getint("NEWSMON_NUM_PERM") or None,
            shingle_words=s.getint("NEWSMON_SHINGLE_WORDS") or None,
            is_known=news.is_known if news is not None else _never_known,
            not_stored=news.not_stored if news is not None else _forget,
            fleet=news.fleet if news is not None else None,
        )
        crawler.signals.connect(state.request_scheduled, signal=signals.request_scheduled)
        for done in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(state.item_done, signal=done)
        # After every stage's close_spider (Scrapy closes the pipelines first).
        crawler.signals.connect(state.close, signal=signals.spider_closed)
        return state

    # -- the extraction pool ---------------------------------------------------------------

    def request_scheduled(self, request: Request, **_: Any) -> None:
        """Start the workers as soon as an article is requested, so that their start-up
        overlaps its download (a crawl that finds nothing new starts none)."""
        if self._pool is None and request.meta.get("newsmon_role") == "article":
            self.get_pool()

    def get_pool(self) -> ExtractionPool:
        """The pool, started on first use."""
        if self._pool is None:
            # Imported here: a crawl that requests no article never needs it.
            from crawler.extraction.pool import ExtractionPool
            from crawler.extraction.tasks import WORKER_PRELOAD

            self._pool = ExtractionPool(
                self.workers,
                max_tasks_per_child=self.max_tasks_per_worker,
                preload=WORKER_PRELOAD,
            )
        return self._pool

    def close(self, **_: Any) -> None:
        """Shut the pool down, if this object started it."""
        if self._owns_pool and self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # -- the fetch order -------------------------------------------------------------------

    def item_done(self, item: object, **_: Any) -> None:
        """Stored, dropped or failed: the next item may go to the store stage."""
        self.order.leave(item)

    # -- the duplicate index ---------------------------------------------------------------

    @property
    def dedup_params(self) -> tuple[float, int, int]:
        """``(near_threshold, num_perm, shingle_words)`` of this crawl's duplicate checks: the
        signature stage signs with them in the workers, the index compares with them."""
        threshold, num_perm, shingle_words = self._dedup_params
        return (
            threshold or DEFAULT_NEAR_THRESHOLD,
            num_perm or DEFAULT_NUM_PERM,
            shingle_words or DEFAULT_SHINGLE_WORDS,
        )

    @property
    def index(self) -> DedupIndex:
        """The duplicate checks (made on first use: SQLAlchemy's models are not needed by a
        crawl that finds nothing new)."""
        if self._index is None:
            from storage.dedup import DedupIndex

            self._index = DedupIndex(*self.dedup_params)
        return self._index


def crawl_state(crawler: Crawler, stage: str) -> CrawlState:
    """The crawl's CrawlState, for ``stage``'s ``from_crawler`` (the extensions are built
    before the engine and its stages); a clear error when it is not in ``EXTENSIONS``."""
    state = crawler.get_extension(CrawlState)
    if state is None:
        raise RuntimeError(f"{stage} needs crawler.state.CrawlState in EXTENSIONS")
    return state
