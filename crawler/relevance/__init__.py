"""Relevance: a model learned from the seed articles scores every article in [0, 1] and says why.

from crawler.relevance import Score, RelevanceModel, load_model
model = load_model(model_dir, seeds_dir, threshold=0.5)
model.score(title, text).why  # {"terms": [...], "nearest_seed": "...", "summary": "..."}
"""

from __future__ import annotations

import logging
from pathlib import Path

from crawler.relevance.model import RelevanceModel
from crawler.relevance.score import Score
from crawler.relevance.seeds import read_seeds
from crawler.relevance.store import ModelStore
from crawler.relevance.training import background_docs, train

__all__ = ["ModelStore", "RelevanceModel", "Score", "load_model", "train_from_seeds"]

logger = logging.getLogger(__name__)


def train_from_seeds(seeds_dir: Path, threshold: float) -> RelevanceModel:
    """A fresh model from the seeds and the bundled background text (no labels)."""
    return train([*read_seeds(seeds_dir), *background_docs()], threshold=threshold)


def load_model(model_dir: Path, seeds_dir: Path, threshold: float) -> RelevanceModel:
    """The current saved model; when none is saved yet, train one from the seeds and save it."""
    store = ModelStore(model_dir)
    model = store.load_current(threshold)
    if model is None:
        logger.info("no relevance model in %s: training one from %s", model_dir, seeds_dir)
        model = train_from_seeds(seeds_dir, threshold)
        store.save(model)
    return model
