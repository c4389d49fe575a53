"""Cross-validation of training on reviewer labels (what ``newsmon train`` prints)."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.model_selection import StratifiedKFold

from crawler.relevance.evaluation import Metrics, metrics_at
from crawler.relevance.model import RelevanceModel
from crawler.relevance.training import TrainingDoc, TrainParams, train


def evaluate(model: RelevanceModel, docs: Sequence[TrainingDoc]) -> Metrics:
    """The model as it stands, on labelled documents."""
    scores = [model.score(d.title, d.text).score for d in docs]
    return metrics_at(scores, [d.relevant for d in docs], model.threshold)


def cross_validate(
    base: Sequence[TrainingDoc],
    labelled: Sequence[TrainingDoc],
    *,
    threshold: float,
    folds: int = 5,
    params: TrainParams | None = None,
) -> Metrics | None:
    """k-fold over the labels: train on ``base`` (seeds, background) plus the other folds'
    labels, score the held-out fold. None when there are too few labels of either class."""
    truth = [d.relevant for d in labelled]
    k = min(folds, sum(truth), len(truth) - sum(truth))
    if k < 2:
        return None
    scores = [0.0] * len(labelled)
    splitter = StratifiedKFold(k, shuffle=True, random_state=0)
    for train_idx, test_idx in splitter.split(list(range(len(labelled))), truth):
        model = train(
            [*base, *(labelled[i] for i in train_idx)], threshold=threshold, params=params
        )
        for i in test_idx:
            scores[i] = model.score(labelled[i].title, labelled[i].text).score
    return metrics_at(scores, truth, threshold)
