"""Fit a :class:`RelevanceModel` from seeds (positive), background text (negative, written for
newsmon, see ``data/``) and reviewer labels (either).

Seeds and background paragraphs differ in length, so seeds are cut into chunks of about the
background's length: otherwise the model would learn "long means relevant".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from crawler.relevance.lexicon import Lexicon, analyse, bundled_lexicon
from crawler.relevance.model import (
    COMBO_FEATURES,
    RelevanceModel,
    lexicon_score,
    prior_combo,
    tfidf_vector,
)
from crawler.relevance.text import stems
from storage.exceptions import ModelError


@dataclass(frozen=True)
class TrainingDoc:
    """One training document. ``origin`` is "seed", "label" or "background"."""

    name: str
    title: str | None
    text: str
    relevant: bool
    origin: str


@dataclass(frozen=True)
class TrainParams:
    """Hyper-parameters of the text model and of learning from labels.

    The text model's values were set when the model was first built; they do not move the
    seeds-only results: F1 on the evaluation corpus is 0.792 and on the development sets
    0.994 / 0.961-0.969 / 0.921 for every chunk_words in 80-200 and text_c in 0.3-3 (measured).
    """

    chunk_words: int = 120
    text_c: float = 1.0
    seed_terms: int = 300
    label_weight: float = 3.0
    # How strongly the combination is held at the prior (in "documents' worth" of evidence).
    prior_strength: float = 4.0


def background_docs() -> list[TrainingDoc]:
    """The bundled background paragraphs (``crawler/relevance/data/background_*.txt``)."""
    docs: list[TrainingDoc] = []
    folder = resources.files("crawler.relevance").joinpath("data")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not (entry.name.startswith("background_") and entry.name.endswith(".txt")):
            continue
        raw = entry.read_text(encoding="utf-8")
        lines = [ln for ln in raw.splitlines() if not ln.startswith("#")]
        paragraphs = [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]
        for i, para in enumerate(paragraphs):
            docs.append(TrainingDoc(f"{entry.name}#{i}", None, para, False, "background"))
    return docs


def chunk(doc: TrainingDoc, size: int) -> list[TrainingDoc]:
    """Cut a long document into pieces of about ``size`` words (the whole one is kept too)."""
    tokens = doc.text.split()
    if len(tokens) <= size * 1.5:
        return [doc]
    pieces = [doc]
    for i, start in enumerate(range(0, len(tokens), size)):
        part = tokens[start : start + size]
        if len(part) >= size // 2:
            pieces.append(
                TrainingDoc(f"{doc.name}#{i}", None, " ".join(part), doc.relevant, doc.origin)
            )
    return pieces


def fit_idf(token_lists: Sequence[list[str]]) -> dict[str, float]:
    """Smoothed IDF over the training documents."""
    df: Counter[str] = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    n = len(token_lists)
    return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}


def _version(payload: dict[str, object], now: dt.datetime) -> str:
    digest = hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:8]
    return f"{now:%Y%m%d-%H%M%S}-{digest}"


def train(
    docs: Sequence[TrainingDoc],
    *,
    threshold: float,
    params: TrainParams | None = None,
    lexicon: Lexicon | None = None,
    now: dt.datetime | None = None,
) -> RelevanceModel:
    """Fit the text model and the combination on ``docs`` (which must hold both classes)."""
    # scikit-learn is imported here, not at module level: the crawl process and its
    # extraction workers import this package to score, and must not pay ~1 s and ~90 MB each.
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    params = params or TrainParams()
    lexicon = lexicon or bundled_lexicon()
    # Only seeds are cut: a label's whole text is what the combination must judge.
    expanded = [
        piece
        for d in docs
        for piece in (chunk(d, params.chunk_words) if d.origin == "seed" else [d])
    ]
    y = np.array([d.relevant for d in expanded], dtype=int)
    if y.min() == y.max():
        raise ModelError("training needs both relevant and not-relevant documents")
    weights = np.array([params.label_weight if d.origin == "label" else 1.0 for d in expanded])
    token_lists = [stems(f"{d.title or ''}\n{d.text}") for d in expanded]
    idf = fit_idf(token_lists)
    vectors = [tfidf_vector(tokens, idf) for tokens in token_lists]
    dv = DictVectorizer()
    x_text = dv.fit_transform(vectors)

    def text_lr() -> LogisticRegression:
        return LogisticRegression(C=params.text_c, class_weight="balanced", max_iter=2000)

    # Out-of-fold text logits, so the combination does not learn to trust an overfit text model.
    text_model = text_lr().fit(x_text, y, sample_weight=weights)
    folds = min(5, int(y.sum()), int(len(y) - y.sum()))
    if folds < 2:  # one document of a class: nothing to hold out
        oof = text_model.decision_function(x_text)
    else:
        oof = np.zeros(len(expanded))
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(x_text, y):
            m = text_lr().fit(x_text[tr], y[tr], sample_weight=weights[tr])
            oof[te] = m.decision_function(x_text[te])

    labelled = [i for i, d in enumerate(expanded) if d.origin == "label"]
    rows = np.array(
        [
            [lexicon_score(analyse(lexicon, expanded[i].title, expanded[i].text)), oof[i]]
            for i in labelled
        ]
    ).reshape(-1, len(COMBO_FEATURES))
    combo_coef, combo_intercept = fit_combination(rows, y[labelled], params.prior_strength)

    vocab = dv.get_feature_names_out()
    text_coef = {
        str(t): float(w) for t, w in zip(vocab, text_model.coef_[0], strict=True) if abs(w) > 1e-4
    }
    seeds: dict[str, dict[str, float]] = {}
    for d in docs:
        if d.origin == "seed":
            vec = tfidf_vector(stems(f"{d.title or ''}\n{d.text}"), idf)
            top = sorted(vec.items(), key=lambda kv: -kv[1])[: params.seed_terms]
            seeds[d.name] = dict(top)
    now = now or dt.datetime.now(dt.UTC)
    meta = {
        "trained_at": now.isoformat(timespec="seconds"),
        "seeds": sorted(seeds),
        "labels": sum(1 for d in docs if d.origin == "label"),
        "background": sum(1 for d in docs if d.origin == "background"),
        "params": params.__dict__,
    }
    payload = {"text": text_coef, "combo": combo_coef, "meta": meta, "lexicon": lexicon.data}
    return RelevanceModel(
        version=_version(payload, now),
        threshold=threshold,
        idf=idf,
        text_coef=text_coef,
        text_intercept=float(text_model.intercept_[0]),
        combo_coef=combo_coef,
        combo_intercept=combo_intercept,
        seeds=seeds,
        lexicon=lexicon,
        meta=meta,
    )


def fit_combination(
    x: np.ndarray, y: np.ndarray, prior_strength: float
) -> tuple[dict[str, float], float]:
    """Logistic regression over (lexicon, text) features of labelled articles, regularised
    towards the prior combination (a MAP estimate): a few labels nudge it, many labels move it.
    With no labels this is exactly the prior."""
    from scipy.optimize import minimize

    coef0, b0 = prior_combo()
    theta0 = np.array([*(coef0[n] for n in COMBO_FEATURES), b0])
    if len(y) == 0:
        return dict(coef0), b0
    pos = max(1, int(y.sum()))
    neg = max(1, len(y) - pos)
    w = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    xb = np.hstack([x, np.ones((len(y), 1))])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xb @ theta
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        nll = -np.sum(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
        diff = theta - theta0
        grad = xb.T @ (w * (p - y)) + prior_strength * diff
        return float(nll + 0.5 * prior_strength * diff @ diff), grad

    result = minimize(loss, theta0, jac=True, method="L-BFGS-B")
    theta = result.x
    coef = {n: float(theta[i]) for i, n in enumerate(COMBO_FEATURES)}
    return coef, float(theta[-1])
