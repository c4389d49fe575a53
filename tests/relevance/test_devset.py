"""The seeds-only model on the development sets (tests/relevance/devset.jsonl and devset2.jsonl):
articles written for newsmon from the topic definition, labelled rel / near (war, sanctions,
diplomacy, coups elsewhere...) / irr, in English, Russian, German, French, Spanish and Hungarian.
The second set was written independently of the first and scored before the lexicon was revised
on both: F1 0.847 then (precision 0.962, recall 0.758)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.relevance import RelevanceModel, load_model
from crawler.relevance.corpus import read_jsonl
from crawler.relevance.evaluation import false_positive_rate, metrics_at
from scheduler.paths import project_seeds_dir

DEVSET = Path(__file__).parent / "devset.jsonl"
DEVSET2 = Path(__file__).parent / "devset2.jsonl"
# Long articles (400-900 words, some with bylines, captions and related-headline lists).
DEVSET3 = Path(__file__).parent / "devset3.jsonl"
# Measured when the lexicon was rewritten: F1 0.988, near-miss false positives 1/77.
F1_FLOOR = 0.93
NEAR_FP_BOUND = 0.05
# Measured after the second revision: F1 0.961, near-miss false positives 1/63.
F1_FLOOR_2 = 0.92
# Measured after the lead term on the tuning two-thirds of the third set (53 articles): F1 0.976,
# no near miss flagged; a third (27 articles) was held out blind and scored once (see the commit).
F1_FLOOR_3 = 0.90
NEAR_FP_BOUND_3 = 0.10


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> RelevanceModel:
    return load_model(tmp_path_factory.mktemp("model"), project_seeds_dir(), threshold=0.5)


def test_devset_f1_and_near_miss_rate(seed_model: RelevanceModel) -> None:
    docs = read_jsonl(DEVSET)
    assert len(docs) >= 180
    scores = [seed_model.score(d.title, d.text).score for d in docs]
    m = metrics_at(scores, [d.relevant for d in docs], seed_model.threshold)
    assert m.f1 >= F1_FLOOR, m
    near_fp, near_n = false_positive_rate(scores, [d.kind for d in docs], "near", 0.5)
    assert near_fp / near_n <= NEAR_FP_BOUND, (near_fp, near_n)
    irr_fp, _irr_n = false_positive_rate(scores, [d.kind for d in docs], "irr", 0.5)
    assert irr_fp == 0


def test_russian_articles_on_the_topic_are_found(seed_model: RelevanceModel) -> None:
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]
    russian = [r for r in rows if r["lang"] == "ru" and r["label"] == "rel"]
    assert len(russian) >= 20
    found = sum(seed_model.score(r["title"], r["text"]).relevant for r in russian)
    assert found / len(russian) >= 0.9, found


def test_second_devset_f1_and_near_miss_rate(seed_model: RelevanceModel) -> None:
    docs = read_jsonl(DEVSET2)
    assert len(docs) >= 150
    scores = [seed_model.score(d.title, d.text).score for d in docs]
    m = metrics_at(scores, [d.relevant for d in docs], seed_model.threshold)
    assert m.f1 >= F1_FLOOR_2, m
    near_fp, near_n = false_positive_rate(scores, [d.kind for d in docs], "near", 0.5)
    assert near_fp / near_n <= NEAR_FP_BOUND, (near_fp, near_n)
    irr_fp, _irr_n = false_positive_rate(scores, [d.kind for d in docs], "irr", 0.5)
    assert irr_fp == 0


def test_second_devset_finds_articles_on_the_topic_in_every_language(
    seed_model: RelevanceModel,
) -> None:
    rows = [json.loads(line) for line in DEVSET2.read_text(encoding="utf-8").splitlines()]
    relevant = [r for r in rows if r["label"] == "rel"]
    non_english = [r for r in relevant if r["lang"] != "en"]
    assert len(non_english) >= 20
    found = sum(seed_model.score(r["title"], r["text"]).relevant for r in non_english)
    assert found / len(non_english) >= 0.85, found


def test_third_devset_long_articles(seed_model: RelevanceModel) -> None:
    docs = read_jsonl(DEVSET3)
    assert len(docs) >= 80
    scores = [seed_model.score(d.title, d.text).score for d in docs]
    m = metrics_at(scores, [d.relevant for d in docs], seed_model.threshold)
    assert m.f1 >= F1_FLOOR_3, m
    near_fp, near_n = false_positive_rate(scores, [d.kind for d in docs], "near", 0.5)
    assert near_fp / near_n <= NEAR_FP_BOUND_3, (near_fp, near_n)
    irr_fp, _irr_n = false_positive_rate(scores, [d.kind for d in docs], "irr", 0.5)
    assert irr_fp == 0
