"""Stage 200: score every article against the topic learned from the seeds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy import Spider

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.relevance import RelevanceModel, load_model

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ScorePipeline:
    """Loads the model once when the spider opens (training it from the seeds if none is saved)."""

    def __init__(
        self,
        model_dir: str,
        seeds_dir: str,
        threshold: float,
        stats: st.StatsSink,
        model: RelevanceModel | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.seeds_dir = seeds_dir
        self.threshold = threshold
        self.counter = st.Counter(stats)
        self.model = model

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            s.get("NEWSMON_MODEL_DIR"),
            s.get("NEWSMON_SEEDS_DIR"),
            s.getfloat("NEWSMON_THRESHOLD"),
            crawler.stats,  # type: ignore[arg-type]
        )

    def open_spider(self, spider: Spider) -> None:
        if self.model is None:
            self.model = load_model(Path(self.model_dir), Path(self.seeds_dir), self.threshold)

    def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        if self.model is None:
            self.open_spider(spider)
        assert self.model is not None
        score = self.model.score(item.title, item.text, item.language)
        item.relevance_score = score.score
        item.relevant = score.relevant
        item.why = score.why
        item.model_version = self.model.version
        self.counter.inc(st.RELEVANT if score.relevant else st.IRRELEVANT, item.source)
        return item
