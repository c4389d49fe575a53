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
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from crawler.relevance.lexicon import analyse
from crawler.relevance.model import (
    LEXICON_FEATURES,
    TEXT_FEATURE,
    RelevanceModel,
    lexicon_features,
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
    """Hyper-parameters (defaults chosen on the evaluation corpus, see the README)."""

    chunk_words: int = 120
    text_c: float = 1.0
    combo_c: float = 1.0
    seed_terms: int = 300
    label_weight: float = 3.0


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
    now: dt.datetime | None = None,
) -> RelevanceModel:
    """Fit the text model and the combination on ``docs`` (which must hold both classes)."""
    params = params or TrainParams()
    expanded = [piece for d in docs for piece in chunk(d, params.chunk_words)]
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
    oof = np.zeros(len(expanded))
    folds = max(2, min(5, int(y.sum()), int(len(y) - y.sum())))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(x_text, y):
        m = text_lr().fit(x_text[tr], y[tr], sample_weight=weights[tr])
        oof[te] = m.decision_function(x_text[te])
    text_model = text_lr().fit(x_text, y, sample_weight=weights)

    names = [*LEXICON_FEATURES, TEXT_FEATURE]
    rows = []
    for d, logit in zip(expanded, oof, strict=True):
        feats = lexicon_features(analyse(d.title, d.text))
        feats[TEXT_FEATURE] = float(logit)
        rows.append([feats.get(n, 0.0) for n in names])
    combo = LogisticRegression(C=params.combo_c, class_weight="balanced", max_iter=2000)
    combo.fit(np.array(rows), y, sample_weight=weights)

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
    combo_coef = {n: float(w) for n, w in zip(names, combo.coef_[0], strict=True)}
    now = now or dt.datetime.now(dt.UTC)
    meta = {
        "trained_at": now.isoformat(timespec="seconds"),
        "seeds": sorted(seeds),
        "labels": sum(1 for d in docs if d.origin == "label"),
        "background": sum(1 for d in docs if d.origin == "background"),
        "params": params.__dict__,
    }
    payload = {"text": text_coef, "combo": combo_coef, "meta": meta}
    return RelevanceModel(
        version=_version(payload, now),
        threshold=threshold,
        idf=idf,
        text_coef=text_coef,
        text_intercept=float(text_model.intercept_[0]),
        combo_coef=combo_coef,
        combo_intercept=float(combo.intercept_[0]),
        seeds=seeds,
        meta=meta,
    )
