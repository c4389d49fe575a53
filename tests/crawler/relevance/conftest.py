"""A model trained once per test session from the project's seeds (training takes ~1 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.relevance import RelevanceModel, load_model
from scheduler.paths import project_seeds_dir

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> RelevanceModel:
    model_dir = tmp_path_factory.mktemp("model")
    return load_model(model_dir, project_seeds_dir(), threshold=0.5)
