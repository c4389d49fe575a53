"""Stage 200: score every article against the topic learned from the seeds."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider

from crawler import stats as st
from crawler.extraction.tasks import ScoreResult, model_version, score_article
from crawler.items import ArticleItem
from crawler.state import CrawlState, crawl_state

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.relevance import RelevanceModel


class ScorePipeline:
    """Scores in the extraction workers; the model is loaded there, on the first article.

    In a crawl the extraction stage has the worker score each page with the saved model in the
    same trip; this stage scores what comes unscored (the pages of a crawl that finds no model
    saved yet, until it is trained; direct use).

    The crawl process never imports the model's code (which pulls in scikit-learn): a crawl
    with nothing new pays nothing for it. The first article waits for one worker to load the
    model (or train and save it, when none is saved yet) before any other is scored, so two
    workers never train it at once. The workers are the crawl's extraction pool (``state``'s);
    ``model`` scores in this process instead (tests, scripts).
    """

    def __init__(
        self,
        model_dir: str,
        seeds_dir: str,
        threshold: float,
        stats: st.StatsSink,
        state: CrawlState | None = None,
        model: RelevanceModel | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.seeds_dir = seeds_dir
        self.threshold = threshold
        self.counter = st.Counter(stats)
        self.state = state
        self.model = model
        self._ready: Future[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            s.get("NEWSMON_MODEL_DIR"),
            s.get("NEWSMON_SEEDS_DIR"),
            s.getfloat("NEWSMON_THRESHOLD"),
            crawler.stats,  # type: ignore[arg-type]
            crawl_state(crawler, "ScorePipeline"),
        )

    async def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        result: ScoreResult
        if item.model_version is not None:  # scored in the extraction trip
            assert item.relevance_score is not None and item.relevant is not None
            result = ScoreResult(item.relevance_score, item.relevant, item.why, item.model_version)
        elif self.model is not None:
            score = self.model.score(item.title, item.text, item.language)
            result = ScoreResult(score.score, score.relevant, score.why, self.model.version)
        else:
            if self.state is None:
                raise RuntimeError("ScorePipeline needs a CrawlState or a model")
            pool = self.state.get_pool()
            if self._ready is None:
                self._ready = pool.submit_call(
                    model_version, self.model_dir, self.seeds_dir, self.threshold
                )
            await asyncio.wrap_future(self._ready)
            args: tuple[Any, ...] = (self.model_dir, self.seeds_dir, self.threshold)
            result = await asyncio.wrap_future(
                pool.submit_call(score_article, *args, item.title, item.text, item.language)
            )
        item.relevance_score = result.score
        item.relevant = result.relevant
        item.why = result.why
        item.model_version = result.model_version
        self.counter.inc(st.RELEVANT if result.relevant else st.IRRELEVANT, item.source)
        return item
