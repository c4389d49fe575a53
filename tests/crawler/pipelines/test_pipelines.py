"""The item stages, called directly with plain values, on a real SQLite database."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from sqlalchemy import select

from crawler import stats as st
from crawler.extraction import ExtractionPool
from crawler.items import ArticleItem
from crawler.pipelines.extract import ExtractPipeline
from crawler.pipelines.score import ScorePipeline
from crawler.pipelines.signature import SignaturePipeline
from crawler.pipelines.store import StorePipeline, canonical_for
from crawler.state import CrawlState
from storage.bands import BandLayout
from storage.dedup import Signer
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Article

PROJECT = Path(__file__).resolve().parents[3]
SPIDER = Spider(name="t")

STORY = (
    "The Kremlin dismissed the deputy defence minister on Tuesday in the widest purge of the "
    "military leadership in years. Investigators searched offices of the general staff and "
    "detained two generals accused of taking bribes on construction contracts. Analysts said "
    "the arrests showed that the president was tightening his grip on the army after months "
    "of rumours about discontent among senior officers over the conduct of the war."
)
OTHER = (
    "The city council approved a tram extension to the northern suburbs on Monday. The new "
    "line will add six stops and is expected to open in three years, officials said, adding "
    "that the project would be paid for by regional funds and a loan from a development bank."
)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    yield sqlite_url


def item(url: str, text: str, canonical: str | None = None, source: str = "s") -> ArticleItem:
    return ArticleItem(
        url=url,
        source=source,
        body=f"<html><body><p>{text}</p></body></html>".encode(),
        fetched_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        text=text,
        title="T",
        canonical_url=canonical,
        relevance_score=0.7,
        relevant=True,
        why={"terms": ["purge"]},
        model_version="m1",
    )


def run(store: StorePipeline, it: ArticleItem) -> ArticleItem:
    return store.process_item(it, SPIDER)


def test_dedup_and_store(db: str) -> None:
    stats = st.DictStats()
    store = StorePipeline(db, run_id=None, stats=stats)
    store.open_spider(SPIDER)
    original = run(store, item("http://a.test/news/kremlin-purge.html?utm_source=x", STORY))
    copy = run(store, item("http://b.test/wire/kremlin-purge-copy.html", STORY, source="w"))
    claims = run(
        store,
        item("http://c.test/x/other-words.html", OTHER, "http://a.test/news/kremlin-purge.html"),
    )
    again = run(store, item("http://a.test/news/kremlin-purge.html?utm_source=x", STORY))
    store.close_spider(SPIDER)

    assert original.duplicate_of is None and original.cluster_id == original.id
    assert original.canonical_url == "http://a.test/news/kremlin-purge.html"
    assert (copy.duplicate_kind, copy.duplicate_of, copy.cluster_id) == (
        "exact",
        original.id,
        original.id,
    )
    assert (claims.duplicate_kind, claims.duplicate_of) == ("url", original.id)
    assert again.id == original.id  # idempotent: stored once
    v = stats.values
    assert v["newsmon/store/new"] == 3 and v["newsmon/store/existing"] == 1
    assert v["newsmon/source/w/dedup/exact"] == 1
    assert st.source_counts(v, "w").duplicates == 1
    assert st.source_counts(v, "s").relevant == 2

    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(select(Article.url, Article.duplicate_of, Article.cluster_id)).all()
    engine.dispose()
    assert len(rows) == 3
    assert {r.cluster_id for r in rows} == {original.id}

    # A later run checks against the database: a near copy is still caught.
    later = StorePipeline(db, run_id=None, stats=st.DictStats())
    near = run(later, item("http://d.test/n/reworded.html", STORY.replace("Tuesday", "Wednesday")))
    later.close_spider(SPIDER)
    assert (near.duplicate_kind, near.duplicate_of) == ("near", original.id)


def test_canonical_claims_of_a_front_page_are_ignored() -> None:
    it = item("http://a.test/news/story.html?utm_medium=feed", STORY, "http://a.test/")
    assert canonical_for(it) == "http://a.test/news/story.html"
    it.canonical_url = "HTTP://A.test:80/news/Story.html#x"
    assert canonical_for(it) == "http://a.test/news/Story.html"


def test_extract_stage_off_the_reactor_and_drops_empty_pages() -> None:
    stats = st.DictStats()
    pool = ExtractionPool(1)
    forgotten: list[tuple[str, str, str, int | None]] = []
    state = CrawlState(pool=pool, not_stored=lambda *visit: forgotten.append(visit))
    pipe = ExtractPipeline(state, stats)
    try:
        page = item("http://a.test/news/kremlin-purge.html", "")
        page.body = (
            "<html><head><title>Purge</title><meta charset='windows-1251'></head><body><article>"
            "<h1>Чистка в генералитете</h1>"
            + "".join(f"<p>Кремль продолжает чистку в армии, абзац {i}.</p>" for i in range(12))
            + "</article></body></html>"
        ).encode("cp1251")
        page.hint_title = "hint"
        page.source_language = "ru"
        done = asyncio.run(pipe.process_item(page, SPIDER))
        assert "Кремль продолжает чистку" in done.text
        empty = item("http://a.test/empty.html", "")
        empty.body = b"<html><body></body></html>"
        with pytest.raises(DropItem, match="no article text"):
            asyncio.run(pipe.process_item(empty, SPIDER))
    finally:
        pool.shutdown()
    assert stats.values["newsmon/extract/ok"] == 1
    assert stats.values["newsmon/source/s/extract/empty"] == 1
    # Remembered as fetched without an article, so that the next crawl skips it.
    assert forgotten == [("http://a.test/empty.html", "s", "no_text", 200)]


def test_score_stage_scores_in_the_workers_and_loads_the_model_once(tmp_path: Path) -> None:
    stats = st.DictStats()
    with ExtractionPool(1) as pool:
        state = CrawlState(pool=pool)
        pipe = ScorePipeline(str(tmp_path / "model"), str(PROJECT / "seeds"), 0.5, stats, state)

        async def both() -> list[ArticleItem]:
            return list(
                await asyncio.gather(
                    pipe.process_item(item("http://a.test/1", STORY), SPIDER),
                    pipe.process_item(item("http://a.test/2", OTHER), SPIDER),
                )
            )

        on, off = asyncio.run(both())
    assert on.relevance_score is not None and off.relevance_score is not None
    assert on.relevance_score > off.relevance_score
    # Trained once (no model was saved) and saved: one version for both articles.
    assert on.model_version is not None and on.model_version == off.model_version
    assert len([d for d in (tmp_path / "model").iterdir() if d.is_dir()]) == 1
    assert "summary" in on.why
    relevant = stats.values.get("newsmon/relevance/relevant", 0)
    irrelevant = stats.values.get("newsmon/relevance/irrelevant", 0)
    assert relevant + irrelevant == 2


def test_signature_stage_matches_signing_in_process(db: str) -> None:
    with ExtractionPool(1) as pool:
        pipe = SignaturePipeline(CrawlState(pool=pool))
        signed = asyncio.run(pipe.process_item(item("http://a.test/1", STORY), SPIDER))
    assert (signed.text_hash, signed.minhash) == Signer(128, 5).sign(STORY)
    assert signed.band_keys == BandLayout(0.8, 128).keys(signed.minhash)
    # The dedup stage uses the worker's signature: a reworded copy is found near.
    stats = st.DictStats()
    store = StorePipeline(db, run_id=None, stats=stats)
    store.open_spider(SPIDER)
    first = run(store, signed)
    reworded = item("http://b.test/2", STORY.replace("Tuesday", "Wednesday"))
    second = run(store, reworded)
    store.close_spider(SPIDER)
    assert (second.duplicate_kind, second.duplicate_of) == ("near", first.id)
