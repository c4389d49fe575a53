"""Saved model versions: load_model trains once, saves, reloads; rollback restores."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.relevance import ModelStore, load_model
from crawler.relevance.training import TrainingDoc, background_docs, train
from scheduler.paths import project_seeds_dir
from storage.exceptions import ModelError


def test_load_model_trains_and_saves_once_then_loads_the_same_version(tmp_path: Path) -> None:
    first = load_model(tmp_path / "model", project_seeds_dir(), threshold=0.5)
    assert (tmp_path / "model" / "CURRENT").read_text().strip() == first.version
    again = load_model(tmp_path / "model", project_seeds_dir(), threshold=0.7)
    assert again.version == first.version
    assert again.threshold == 0.7  # the threshold comes from the config, not the file
    text = "The Kremlin purged the generals after the mutiny."
    assert again.score(None, text).score == first.score(None, text).score


def test_missing_seeds_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="seeds folder"):
        load_model(tmp_path / "model", tmp_path / "nope", threshold=0.5)


def test_rollback_restores_the_previous_version(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    base = [TrainingDoc("s.txt", None, "Putin faces a coup.", True, "seed"), *background_docs()]
    one = train(base, threshold=0.5)
    store.save(one)
    extra = TrainingDoc("article:1", None, "Governor arrested in Moscow.", True, "label")
    two = train([*base, extra], threshold=0.5)
    store.save(two)
    assert store.current_version() == two.version != one.version
    assert store.rollback() == one.version
    loaded = store.load_current(0.5)
    assert loaded is not None and loaded.version == one.version
    with pytest.raises(ModelError, match="no previous"):
        store.rollback()


def test_a_corrupt_model_file_is_retrained(tmp_path: Path) -> None:
    model = load_model(tmp_path, project_seeds_dir(), threshold=0.5)
    ModelStore(tmp_path).path_of(model.version).write_text("{not json", encoding="utf-8")
    again = load_model(tmp_path, project_seeds_dir(), threshold=0.5)
    assert again.score(None, "Putin").score >= 0.0
