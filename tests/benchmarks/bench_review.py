"""Benchmark (issue 3): do review labels improve the model? Measured on the evaluation corpus.

    python tests/benchmarks/bench_review.py [--corpus DIR] [--labels 20,40,80] [--repeats N]

A simulated reviewer: the corpus is split into five folds; for each fold, the reviewer labels
the K articles of the other four folds that ``newsmon review`` lists first (the most uncertain:
score nearest the threshold), ``newsmon train``'s refit runs on seeds + background + those
labels, and the held-out fold is scored. F1 over all held-out scores is printed for each K, next
to the seeds-only model (K = 0), and F1 of the model ``newsmon train`` would leave in use: it
keeps the current model when the refit's cross-validated F1 on the labels is below the seeds-only
model's F1 on them.

For scale it also prints a ceiling: a logistic regression trained on the corpus's own labels
(5-fold cross-validation, over TF-IDF or over the lexicon's per-concept evidence), i.e. what
supervised learning from ~390 of these labels reaches on the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from crawler.relevance.corpus import LabelledDoc, read_corpus
from crawler.relevance.evaluation import Metrics, metrics_at
from crawler.relevance.model import RelevanceModel
from crawler.relevance.seeds import read_seeds
from crawler.relevance.training import TrainingDoc, background_docs, train
from crawler.relevance.validation import cross_validate, evaluate
from scheduler.paths import project_seeds_dir

DEFAULT_CORPUS = Path(
    os.environ.get("NEWSMON_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)
THRESHOLD = 0.5


def _label(doc: LabelledDoc) -> TrainingDoc:
    return TrainingDoc(f"corpus:{doc.id}", doc.title, doc.text, doc.relevant, "label")


def _fmt(m: Metrics) -> str:
    return f"F1 {m.f1:.3f} (P {m.precision:.3f} R {m.recall:.3f}; tp {m.tp} fp {m.fp} fn {m.fn})"


def simulated_review(
    docs: list[LabelledDoc],
    base: list[TrainingDoc],
    seeds_only: RelevanceModel,
    seed_scores: list[float],
    k: int,
    split_seed: int,
) -> tuple[Metrics, Metrics, int]:
    """Held-out metrics after K uncertain-first labels per fold: of the refit model, and of the
    model ``newsmon train`` leaves in use (the refit, or the seeds-only model when the refit
    does worse on the labels); and how many of the five refits it would have put in use."""
    from sklearn.model_selection import StratifiedKFold

    truth = [d.relevant for d in docs]
    refit_scores = [0.0] * len(docs)
    in_use_scores = [0.0] * len(docs)
    adopted = 0
    folds = StratifiedKFold(5, shuffle=True, random_state=split_seed)
    for train_idx, test_idx in folds.split(np.zeros(len(docs)), truth):
        pool = sorted(train_idx, key=lambda i: abs(seed_scores[i] - THRESHOLD))[:k]
        labels = [_label(docs[i]) for i in pool]
        model = train([*base, *labels], threshold=THRESHOLD)
        after = cross_validate(base, labels, threshold=THRESHOLD)
        used = after is None or after.f1 >= evaluate(seeds_only, labels).f1
        adopted += used
        for i in test_idx:
            refit_scores[i] = model.score(docs[i].title, docs[i].text).score
            in_use_scores[i] = refit_scores[i] if used else seed_scores[i]
    return (
        metrics_at(refit_scores, truth, THRESHOLD),
        metrics_at(in_use_scores, truth, THRESHOLD),
        adopted,
    )


def supervised_ceiling(docs: list[LabelledDoc], model: RelevanceModel) -> dict[str, float]:
    """Mean 5-fold CV F1 (best threshold per split) of a classifier fitted on corpus labels."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.array([d.relevant for d in docs], dtype=int)
    rows = []
    for d in docs:
        feats, _vec, hits = model.features(d.title, d.text)
        row = {"lex": feats["lex"], "text": feats["text"], "distractor": hits.distractor_share}
        row.update({f"concept:{k}": v for k, v in hits.evidence().items()})
        rows.append(row)
    spaces = {
        "TF-IDF words": TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(
            [f"{d.title or ''}\n{d.text}" for d in docs]
        ),
        "lexicon concepts": DictVectorizer().fit_transform(rows),
    }
    out = {}
    for name, x in spaces.items():
        best = []
        for split_seed in range(3):
            p = cross_val_predict(
                LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced"),
                x,
                y,
                cv=StratifiedKFold(5, shuffle=True, random_state=split_seed),
                method="predict_proba",
            )[:, 1]
            best.append(max(f1_score(y, p >= t) for t in np.linspace(0.05, 0.95, 19)))
        out[name] = float(np.mean(best))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--labels", default="20,40,80", help="label counts K, comma-separated")
    parser.add_argument("--repeats", type=int, default=1, help="random fold splits per K")
    args = parser.parse_args(argv)
    if not (args.corpus / "texts.jsonl").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    docs = list(read_corpus(args.corpus))
    base = [*read_seeds(project_seeds_dir()), *background_docs()]
    seeds_only = train(base, threshold=THRESHOLD)
    seed_scores = [seeds_only.score(d.title, d.text).score for d in docs]
    truth = [d.relevant for d in docs]
    print(
        f"corpus: {len(docs)} labelled items, {sum(truth)} relevant; threshold {THRESHOLD}\n"
        f"seeds only (K = 0):        {_fmt(metrics_at(seed_scores, truth, THRESHOLD))}"
    )
    for k in (int(v) for v in args.labels.split(",")):
        for split_seed in range(args.repeats):
            refit, in_use, adopted = simulated_review(
                docs, base, seeds_only, seed_scores, k, split_seed
            )
            print(
                f"K = {k:3d} labels, split {split_seed}: refit {_fmt(refit)} on held-out folds\n"
                f"                          model in use after `newsmon train` ({adopted} of 5 "
                f"refits used): {_fmt(in_use)}"
            )
    ceiling = supervised_ceiling(docs, seeds_only)
    print(
        "ceiling, trained on the corpus's own labels (5-fold CV, best threshold): "
        + ", ".join(f"{name} F1 {f1:.3f}" for name, f1 in ceiling.items())
        + " (target for the seeds-only model: 0.85)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
