"""The item stages, called directly with plain values, on a real SQLite database."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from sqlalchemy import select

from crawler import stats as st
from crawler.extraction import ExtractionPool, tasks
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
from tests.crawler.pipelines import worker_probes

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


def unscored(url: str, text: str) -> ArticleItem:
    it = item(url, text)
    it.relevance_score = it.relevant = it.model_version = None
    it.why = {}
    return it


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
        # Signed in the same trip to the worker, with the crawl's dedup parameters.
        assert (done.text_hash, done.minhash) == Signer(128, 5).sign(done.text)
        assert done.band_keys == BandLayout(0.8, 128).keys(done.minhash)
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


def test_score_stage_scores_in_two_workers_and_each_loads_the_model_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real forkserver pool with two workers: each loads the model once, however many
    pages it scores, and the crawl process never loads it."""
    import crawler.relevance

    def no_load_here(*_: object) -> None:
        raise AssertionError("the crawl process loaded the relevance model")

    # Patched in this process only: the workers are forked from the forkserver, not from here.
    monkeypatch.setattr(crawler.relevance, "load_model", no_load_here)
    parent_before = tasks.model_loads
    stats = st.DictStats()
    model_dir, seeds_dir = str(tmp_path / "model"), str(PROJECT / "seeds")
    pages = 40
    with ExtractionPool(2) as pool, multiprocessing.get_context("spawn").Manager() as manager:
        pipe = ScorePipeline(model_dir, seeds_dir, 0.5, stats, CrawlState(pool=pool))

        async def score(items: list[ArticleItem]) -> list[ArticleItem]:
            return list(await asyncio.gather(*(pipe.process_item(it, SPIDER) for it in items)))

        # The first article: one worker trains the model and saves it (no model is saved yet).
        (first,) = asyncio.run(score([unscored("http://a.test/0", STORY)]))
        # Both workers score a page now, so both have the model before the rest arrive.
        both = manager.Barrier(2)
        probes = [
            pool.submit_call(
                worker_probes.score_in_each_worker, both, model_dir, seeds_dir, 0.5, OTHER
            )
            for _ in range(2)
        ]
        assert len({p.result(timeout=300) for p in probes}) == 2
        scored = asyncio.run(
            score(
                [unscored(f"http://a.test/{n}", STORY if n % 2 else OTHER) for n in range(1, pages)]
            )
        )
        both = manager.Barrier(2)
        counts = [
            pool.submit_call(worker_probes.model_loads_in_each_worker, both) for _ in range(2)
        ]
        per_worker = sorted(c.result(timeout=300) for c in counts)
    assert len({pid for pid, _ in per_worker}) == 2
    assert [loads for _, loads in per_worker] == [1, 1]  # once each, however many pages
    assert tasks.model_loads == parent_before  # the crawl process never loaded it

    done = [first, *scored]
    on = {it.relevance_score for it in done if it.text == STORY}
    off = {it.relevance_score for it in done if it.text == OTHER}
    assert len(on) == len(off) == 1  # the same score for the same text, whichever worker
    assert None not in on | off and min(on) > max(off)  # type: ignore[type-var]
    # One model, trained once and saved: one version for every article.
    assert first.model_version is not None
    assert {it.model_version for it in done} == {first.model_version}
    assert len([d for d in (tmp_path / "model").iterdir() if d.is_dir()]) == 1
    assert "summary" in first.why
    relevant = stats.values.get("newsmon/relevance/relevant", 0)
    irrelevant = stats.values.get("newsmon/relevance/irrelevant", 0)
    assert relevant + irrelevant == pages


def test_extract_stage_scores_with_the_saved_model_in_the_same_trip(tmp_path: Path) -> None:
    """With a saved model, the worker that extracts a page also scores it (title and language
    from the listing and the source when the page has none); the score stage then only counts.
    With none saved, pages come back unscored and the score stage trains the model, once."""
    model_dir, seeds_dir = str(tmp_path / "model"), str(PROJECT / "seeds")
    ref = tasks.ModelRef(model_dir, seeds_dir, 0.5)
    stats = st.DictStats()

    def page(n: int, text: str, hint: str = "Kremlin purge") -> ArticleItem:
        it = unscored(f"http://a.test/{n}", "")
        paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
        it.body = f"<html><body><article>{paragraphs}</article></body></html>".encode()
        it.hint_title, it.source_language = hint, "en"
        return it

    with ExtractionPool(1) as pool:
        state = CrawlState(pool=pool)
        extract = ExtractPipeline(state, stats, score_with=ref)
        score = ScorePipeline(model_dir, seeds_dir, 0.5, stats, state)

        def crawl(it: ArticleItem) -> ArticleItem:
            async def both() -> ArticleItem:
                return await score.process_item(await extract.process_item(it, SPIDER), SPIDER)

            return asyncio.run(both())

        blank = asyncio.run(extract.process_item(page(0, STORY), SPIDER))
        assert blank.model_version is None  # no model saved: nothing trained in this trip
        assert not (tmp_path / "model").exists()
        first = asyncio.run(score.process_item(blank, SPIDER))  # trains and saves it
        assert first.model_version is not None
        loads = pool.submit_call(worker_probes.model_loads).result(timeout=300)

        in_trip = asyncio.run(extract.process_item(page(1, STORY), SPIDER))
        assert in_trip.model_version == first.model_version
        assert in_trip.relevance_score == first.relevance_score and in_trip.relevant
        assert in_trip.why["summary"]
        other = crawl(page(2, OTHER, "Tram line approved"))
        assert other.model_version == first.model_version and not other.relevant
        assert pool.submit_call(worker_probes.model_loads).result(timeout=300) == loads
        title = "Tram line approved"
        direct = tasks.score_article(model_dir, seeds_dir, 0.5, title, other.text, "en")
        assert other.relevance_score == direct.score  # the listing's title was used
    assert stats.values["newsmon/relevance/relevant"] == 1
    assert stats.values["newsmon/relevance/irrelevant"] == 1


def test_signature_stage_keeps_a_signature_the_extraction_gave() -> None:
    given = item("http://a.test/1", STORY)
    given.text_hash, given.minhash, given.band_keys = "h", b"m", [1]

    class NoPool:
        def submit_call(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("signed twice")

    pipe = SignaturePipeline(CrawlState(pool=NoPool()))  # type: ignore[arg-type]
    kept = asyncio.run(pipe.process_item(given, SPIDER))
    assert (kept.text_hash, kept.minhash, kept.band_keys) == ("h", b"m", [1])


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
