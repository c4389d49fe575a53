"""Copies of one story stored by two workers at the same moment are folded into one story.

Each "worker" here is what a fleet worker has for storing: its own StorePipeline with its
own engine and connection to the one PostgreSQL database. A barrier releases both at once
with a copy each; the database-side lock (storage/dedup.py ``lock_archive``: a transaction-
level advisory lock around the check and the insert) must make one the original and the
other its duplicate, every time.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator

import pytest
from scrapy import Spider

from crawler import stats as st
from crawler.items import ArticleItem
from crawler.pipelines.store import StorePipeline
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.fleet.support import PgDatabases

pytestmark = [pytest.mark.postgres]

SPIDER = Spider(name="t")
WORDS = [
    "kremlin",
    "general",
    "staff",
    "purge",
    "succession",
    "governor",
    "ministry",
    "security",
    "council",
    "arrest",
    "colonel",
    "bribery",
    "investigators",
    "district",
    "budget",
    "elite",
    "faction",
    "loyalty",
    "mutiny",
    "guard",
    "parliament",
    "election",
    "protest",
    "opposition",
    "court",
    "sentence",
    "prosecutor",
]


def story(n: int) -> str:
    """A text of its own for each ``n`` (seeded): 200 words with numbered variants."""
    rng = random.Random(n)
    return " ".join(f"{rng.choice(WORDS)}{rng.randrange(50)}" for _ in range(200)) + "."


def item(url: str, text: str) -> ArticleItem:
    return ArticleItem(
        url=url,
        source="wire",
        body=f"<html><body><p>{text}</p></body></html>".encode(),
        fetched_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        text=text,
        title="T",
        relevance_score=0.5,
        relevant=True,
        why={},
        model_version="m",
    )


@pytest.fixture
def db(pg: PgDatabases) -> Iterator[str]:
    url = pg.new()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def store(
    worker: StorePipeline,
    it: ArticleItem,
    barrier: threading.Barrier,
    results: list[ArticleItem],
    errors: list[BaseException],
) -> None:
    """One worker's store of ``it``, released at the same moment as the other's."""
    try:
        barrier.wait(timeout=30)
        results.append(worker.process_item(it, SPIDER))
    except BaseException as exc:
        errors.append(exc)


def test_copies_split_across_two_workers_are_one_story(db: str) -> None:
    stores = [StorePipeline(db, run_id=None, stats=st.DictStats()) for _ in range(2)]
    for s in stores:
        s.open_spider(SPIDER)
    pairs: list[tuple[ArticleItem, ArticleItem]] = []
    for n in range(8):
        text = story(n)
        # Even rounds: exact copies; odd rounds: a reworded copy (near duplicate).
        other = text if n % 2 == 0 else "Reported: " + text
        pairs.append(
            (item(f"http://a.test/{n}.html", text), item(f"http://b.test/copy-{n}.html", other))
        )
    try:
        for first, second in pairs:
            barrier = threading.Barrier(2)
            results: list[ArticleItem] = []
            errors: list[BaseException] = []

            threads = [
                threading.Thread(target=store, args=(stores[0], first, barrier, results, errors)),
                threading.Thread(target=store, args=(stores[1], second, barrier, results, errors)),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert not errors, errors
            originals = [r for r in results if r.duplicate_of is None]
            copies = [r for r in results if r.duplicate_of is not None]
            assert len(originals) == 1 and len(copies) == 1, [
                (r.url, r.duplicate_kind) for r in results
            ]
            assert copies[0].duplicate_of == originals[0].id
            assert copies[0].cluster_id == originals[0].cluster_id == originals[0].id
    finally:
        for s in stores:
            s.close_spider(SPIDER)
