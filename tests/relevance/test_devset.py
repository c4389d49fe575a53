"""The seeds-only model on the development sets (tests/relevance/devset*.jsonl): articles written
for newsmon from the topic definition, labelled rel / near (war, sanctions, diplomacy, coups
elsewhere...) / irr, in English, Russian, German, French, Spanish and Hungarian. The second set
was written independently of the first and scored before the lexicon was revised on both: F1
0.847 then (precision 0.962, recall 0.758)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.relevance import RelevanceModel, load_model
from crawler.relevance.corpus import read_jsonl
from crawler.relevance.evaluation import false_positive_rate, metrics_at
from scheduler.paths import project_seeds_dir

HERE = Path(__file__).parent
DEVSET = HERE / "devset.jsonl"
DEVSET2 = HERE / "devset2.jsonl"

# (file, at least this many articles, F1 floor, bound on near misses scored relevant). Measured
# with the shipped model: set 1 (tuned on) F1 0.994, near 1/77; set 2 (written independently,
# then tuned on) F1 0.961, near 1/63; set 3 (80 long articles with extraction residue, written
# after the model and never tuned on) F1 0.921, near 2/32.
DEVSETS = [
    (DEVSET, 180, 0.93, 0.05),
    (DEVSET2, 150, 0.92, 0.05),
    (HERE / "devset3.jsonl", 80, 0.88, 0.10),
]


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> RelevanceModel:
    return load_model(tmp_path_factory.mktemp("model"), project_seeds_dir(), threshold=0.5)


@pytest.mark.parametrize(
    ("path", "count", "f1_floor", "near_bound"), DEVSETS, ids=lambda v: getattr(v, "stem", "")
)
def test_devset_f1_and_near_miss_rate(
    seed_model: RelevanceModel, path: Path, count: int, f1_floor: float, near_bound: float
) -> None:
    docs = read_jsonl(path)
    assert len(docs) >= count
    scores = [seed_model.score(d.title, d.text).score for d in docs]
    m = metrics_at(scores, [d.relevant for d in docs], seed_model.threshold)
    assert m.f1 >= f1_floor, m
    near_fp, near_n = false_positive_rate(scores, [d.kind for d in docs], "near", 0.5)
    assert near_fp / near_n <= near_bound, (near_fp, near_n)
    irr_fp, _irr_n = false_positive_rate(scores, [d.kind for d in docs], "irr", 0.5)
    assert irr_fp == 0


def test_russian_articles_on_the_topic_are_found(seed_model: RelevanceModel) -> None:
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]
    russian = [r for r in rows if r["lang"] == "ru" and r["label"] == "rel"]
    assert len(russian) >= 20
    found = sum(seed_model.score(r["title"], r["text"]).relevant for r in russian)
    assert found / len(russian) >= 0.9, found


def test_second_devset_finds_articles_on_the_topic_in_every_language(
    seed_model: RelevanceModel,
) -> None:
    rows = [json.loads(line) for line in DEVSET2.read_text(encoding="utf-8").splitlines()]
    relevant = [r for r in rows if r["label"] == "rel"]
    non_english = [r for r in relevant if r["lang"] != "en"]
    assert len(non_english) >= 20
    found = sum(seed_model.score(r["title"], r["text"]).relevant for r in non_english)
    assert found / len(non_english) >= 0.85, found
