"""Stage 300: is this article a copy? Canonical URL, exact text hash, then near-duplicate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import Spider

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.urls import is_http_url, normalize_url
from storage.engine import make_engine, make_session_factory, session_scope

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.dedup import DedupIndex


def canonical_for(item: ArticleItem) -> str:
    """The normalized canonical URL: the page's own claim (rel=canonical, og:url) unless it is
    unusable or names a site's front page (some sites put that on every article)."""
    claimed = item.canonical_url
    if claimed and is_http_url(claimed) and urlsplit(claimed).path.strip("/"):
        return normalize_url(claimed)
    return normalize_url(item.url)


class DedupPipeline:
    """Checks items against a :class:`DedupIndex` of everything stored (loaded once at open).

    The store stage adds what it stores to the same ``index``, so copies within one run
    are caught too. Both stages are synchronous: nothing runs between one item's check and
    its addition, so two copies arriving together are still folded.
    """

    def __init__(
        self,
        database_url: str,
        stats: st.StatsSink,
        near_threshold: float = 0.8,
        num_perm: int = 128,
        shingle_words: int = 5,
        index: DedupIndex | None = None,
    ) -> None:
        self.database_url = database_url
        self.counter = st.Counter(stats)
        self.near_threshold = near_threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self.index = index

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            s.get("NEWSMON_DATABASE_URL"),
            crawler.stats,  # type: ignore[arg-type]
            near_threshold=s.getfloat("NEWSMON_NEAR_THRESHOLD", 0.8),
            num_perm=s.getint("NEWSMON_NUM_PERM", 128),
            shingle_words=s.getint("NEWSMON_SHINGLE_WORDS", 5),
        )

    def open_spider(self, spider: Spider) -> None:
        """Nothing to do until the first article: a crawl that finds nothing new never
        reads the stored signatures (see :meth:`load_index`)."""

    def load_index(self) -> DedupIndex:
        """The index of everything stored, read on first use."""
        if self.index is not None:
            return self.index
        # Imported here: numpy is not needed by a crawl that finds nothing new.
        from storage.dedup import DedupIndex

        engine = make_engine(self.database_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                self.index = DedupIndex.load(
                    session,
                    near_threshold=self.near_threshold,
                    num_perm=self.num_perm,
                    shingle_words=self.shingle_words,
                )
        finally:
            engine.dispose()
        return self.index

    def process_item(self, item: ArticleItem, spider: Spider) -> ArticleItem:
        index = self.load_index()
        canonical = canonical_for(item)
        # Signed by stage 250 in a worker when it ran; otherwise (tests, scripts) signed here.
        signed = (item.text_hash, item.minhash or b"") if item.text_hash is not None else None
        decision = index.check(canonical, item.text, signed=signed)
        item.canonical_url = canonical
        item.text_hash = decision.text_hash
        item.minhash = decision.minhash or None
        item.duplicate_kind = decision.kind
        item.duplicate_of = decision.duplicate_of
        item.cluster_id = decision.cluster_id
        self.counter.inc(st.dedup_key(decision.kind), item.source)
        return item
