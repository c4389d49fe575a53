"""Stage 220: watch-list rules (crawler.watch) mark the articles they match as relevant,
whatever their score, and name themselves in ``why["watch"]`` for the digest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import Spider

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.watch import WatchList, WatchRule

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class WatchPipeline:
    def __init__(self, rules: WatchList, stats: st.StatsSink) -> None:
        self.rules = rules
        self.counter = st.Counter(stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        raw: list[dict[str, Any]] = crawler.settings.getlist("NEWSMON_WATCH")
        rules = WatchList(
            [
                WatchRule(
                    name=str(r["name"]),
                    terms=tuple(r["terms"]),
                    sources=tuple(r.get("sources") or ()),
                    urgent=bool(r.get("urgent")),
                )
                for r in raw
            ]
        )
        return cls(rules, crawler.stats)  # type: ignore[arg-type]

    def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        if not self.rules:
            return item
        matched = self.rules.matches(item.source, item.title, item.text)
        if matched:
            item.why = {**(item.why or {}), "watch": [r.name for r in matched]}
            if any(r.urgent for r in matched):
                item.why["urgent"] = True
            item.relevant = True
            for rule in matched:
                self.counter.inc(st.WATCH_PREFIX + rule.name, item.source)
        return item
