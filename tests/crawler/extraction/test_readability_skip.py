"""Readability is skipped only where it cannot win trafilatura's comparison: same articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trafilatura.core
import trafilatura.external

from crawler.extraction import readability_skip
from crawler.extraction.extract import extract_article
from tests.crawler.extraction.corpus_sample import corpus_sample, extract_sample

SENTENCE = "The Kremlin replaced two deputy prime ministers on Monday, officials said. "


def page(article_sentences: int, menu_items: int) -> bytes:
    menu = "".join(
        f"<li><a href='/s{n}'>Section number {n} of the site</a></li>" for n in range(menu_items)
    )
    return (
        "<html lang='en'><head><title>Reshuffle</title></head><body>"
        f"<nav><ul>{menu}</ul></nav><article><h1>Reshuffle</h1>"
        + "".join(f"<p>{SENTENCE * 3}</p>" for _ in range(article_sentences))
        + "</article></body></html>"
    ).encode()


@pytest.fixture
def readability_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per run of readability."""
    runs: list[int] = []
    real = trafilatura.external.try_readability

    def counted(tree: object) -> object:
        runs.append(1)
        return real(tree)  # type: ignore[arg-type]

    monkeypatch.setattr(trafilatura.external, "try_readability", counted)
    return runs


def test_trafilatura_calls_the_shortcut() -> None:
    """Fails when a new trafilatura changes the comparison this relies on (then review it)."""
    assert vars(trafilatura.core)["compare_extraction"] is readability_skip.compare_extraction


def test_an_article_that_is_most_of_the_page_skips_readability(
    readability_runs: list[int],
) -> None:
    extracted = extract_article(page(8, 3), "https://news.test/reshuffle")
    assert extracted is not None and "deputy prime ministers" in extracted.text
    assert readability_runs == []


def test_a_short_article_on_a_long_page_still_gets_readability(
    readability_runs: list[int],
) -> None:
    extracted = extract_article(page(2, 200), "https://news.test/reshuffle")
    assert extracted is not None and "deputy prime ministers" in extracted.text
    assert readability_runs


@pytest.fixture
def trafilaturas_comparison() -> Iterator[None]:
    vars(trafilatura.core)["compare_extraction"] = readability_skip._ORIGINAL
    yield
    readability_skip.install()


def test_corpus_extractions_are_identical_with_the_shortcut(
    corpus_dir: Path, request: pytest.FixtureRequest
) -> None:
    bodies = corpus_sample(corpus_dir, 5)
    shortcut = extract_sample(bodies)
    request.getfixturevalue("trafilaturas_comparison")
    assert vars(trafilatura.core)["compare_extraction"] is readability_skip._ORIGINAL
    assert extract_sample(bodies) == shortcut


def test_another_trafilaturas_comparison_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, trafilaturas_comparison: None
) -> None:
    monkeypatch.setattr(readability_skip, "_KNOWN_SOURCE", "another version's")
    assert readability_skip.install() is False
    assert vars(trafilatura.core)["compare_extraction"] is readability_skip._ORIGINAL


def test_without_trafilaturas_source_the_shortcut_stays_off(
    monkeypatch: pytest.MonkeyPatch, trafilaturas_comparison: None
) -> None:
    def no_source(obj: object) -> str:
        raise OSError("could not get source code")

    monkeypatch.setattr(readability_skip.inspect, "getsource", no_source)
    assert readability_skip.install() is False
    assert vars(trafilatura.core)["compare_extraction"] is readability_skip._ORIGINAL
