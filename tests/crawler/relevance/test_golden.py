"""Golden pages (written for newsmon): what an analyst expects the seed-trained model to say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.relevance import RelevanceModel
from crawler.relevance.htmltext import html_to_text
from scheduler.paths import project_seeds_dir

GOLDEN = Path(__file__).parent / "golden"
SEED_NAMES = {p.name for p in project_seeds_dir().glob("*.txt")}


def _read(name: str) -> tuple[str | None, str]:
    path = GOLDEN / name
    if path.suffix == ".html":
        return html_to_text(path.read_bytes(), f"https://example.org/{name}")
    return None, path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "relevant", "concept"),
    [
        ("positive_purge.html", True, "purge"),
        ("russian_positive.html", True, "arrest"),
        ("russian_protest.txt", True, "protest"),
        ("near_miss_war.html", False, None),
        ("off_topic.html", False, None),
    ],
)
def test_golden_page_scores_as_an_analyst_expects(
    seed_model: RelevanceModel, name: str, relevant: bool, concept: str | None
) -> None:
    title, text = _read(name)
    s = seed_model.score(title, text)
    assert s.relevant is relevant, (name, s)
    assert 0.0 <= s.score <= 1.0
    # Clear cases are clear: far from the threshold, not a coin toss.
    assert (s.score > 0.8) if relevant else (s.score < 0.2), (name, s.score)
    assert s.why["nearest_seed"] in SEED_NAMES
    assert s.why["summary"]
    json.dumps(s.why)  # stored as JSON and exported: must serialise
    if concept:
        assert concept in s.why["concepts"]
        assert s.why["terms"], "a relevant article names the terms that made it relevant"


def test_near_miss_scores_below_a_clear_positive_even_with_more_putin(
    seed_model: RelevanceModel,
) -> None:
    war = "Putin said the offensive would continue. Putin ordered more missile strikes. " * 5
    purge = "The Kremlin sacked the defence minister and arrested two generals for treason."
    assert seed_model.score(None, war).score < seed_model.score(None, purge).score


def test_a_coup_elsewhere_is_not_the_topic(seed_model: RelevanceModel) -> None:
    text = (
        "Soldiers seized the presidential palace in the capital of the small West African "
        "country and announced a coup on state television. The army said the president had "
        "been detained and the constitution suspended. Protesters gathered outside the palace."
    )
    assert not seed_model.score("Army seizes power in coup", text).relevant


def test_the_leaders_health_counts_only_when_it_is_the_russian_leader(
    seed_model: RelevanceModel,
) -> None:
    other = "The prime minister's health has worsened and rumours of cancer are spreading."
    putin = (
        "Rumours about Putin's health are spreading in Moscow: the Kremlin denied that the "
        "president has cancer or Parkinson's disease, and elites are said to discuss a successor."
    )
    assert seed_model.score(None, putin).score > seed_model.score(None, other).score
    assert seed_model.score(None, putin).relevant
