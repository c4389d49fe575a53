"""The lead of a long article (title + first sentences) counts extra; old models score as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.relevance import RelevanceModel, load_model
from crawler.relevance.lexicon import LEAD_SENTENCES, analyse, bundled_lexicon
from scheduler.paths import project_seeds_dir

PURGE = "The Kremlin's purge of the defence ministry widened as Putin removed another general."
FILLER = "The weather in the capital was mild and the trams ran on time."


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> RelevanceModel:
    return load_model(tmp_path_factory.mktemp("model"), project_seeds_dir(), threshold=0.5)


def test_the_lead_holds_the_concepts_of_the_first_sentences() -> None:
    lexicon = bundled_lexicon()
    early = analyse(lexicon, "A week in Moscow", "\n".join([PURGE, *([FILLER] * 20)]))
    late = analyse(lexicon, "A week in Moscow", "\n".join([*([FILLER] * 20), PURGE]))
    assert early.lead > 0
    assert late.lead == 0
    assert early.total == pytest.approx(late.total)
    assert len(early.scores) == early.sentences


def test_a_long_article_that_states_its_subject_up_front_scores_higher(
    seed_model: RelevanceModel,
) -> None:
    filler = [FILLER] * (LEAD_SENTENCES + 20)
    early = seed_model.score("A week in Moscow", "\n".join([PURGE, *filler])).score
    late = seed_model.score("A week in Moscow", "\n".join([*filler, PURGE])).score
    assert early > late


def test_a_model_saved_without_a_lead_weight_scores_as_it_did(seed_model: RelevanceModel) -> None:
    data = seed_model.to_json()
    assert data["lead_weight"] == seed_model.lead_weight > 0
    del data["lead_weight"]
    old = RelevanceModel.from_json(data, threshold=0.5)
    assert old.lead_weight == 0.0
    text = "\n".join([PURGE, *([FILLER] * 10)])
    assert old.score("A week", text).score <= seed_model.score("A week", text).score


def test_saved_model_round_trip_keeps_the_lead_weight(
    seed_model: RelevanceModel, tmp_path: Path
) -> None:
    again = RelevanceModel.from_json(seed_model.to_json(), threshold=0.5)
    assert again.lead_weight == seed_model.lead_weight
