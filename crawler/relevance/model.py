"""The relevance model: a topic lexicon and a seed-vs-background text model, combined.

Scoring is pure Python over small dictionaries (no scikit-learn at scoring time), so it is cheap
and the saved model is a readable JSON document:

    text part   TF-IDF over crude stems -> logistic-regression logit (seeds + positive labels
                vs background paragraphs + negative labels: PU learning)
    lexicon     per-concept evidence of stability concepts near Russian-power anchors
    combination logistic regression over [lexicon features, text logit] -> calibrated [0, 1]
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.relevance.lexicon import CONCEPTS, LexiconHits, analyse
from crawler.relevance.score import Score
from crawler.relevance.text import stems

FORMAT = 1
LEXICON_FEATURES = (
    *(f"lex:{c.name}" for c in CONCEPTS),
    "lex:total",
    "lex:anchors",
    "lex:title",
)
TEXT_FEATURE = "text:logit"


def lexicon_features(hits: LexiconHits) -> dict[str, float]:
    """The lexicon's feature vector (see LEXICON_FEATURES)."""
    evidence = hits.evidence()
    feats = {f"lex:{name}": value for name, value in evidence.items()}
    feats["lex:total"] = math.log1p(sum(evidence.values()))
    feats["lex:anchors"] = math.log1p(hits.anchors + 0.3 * hits.country)
    feats["lex:title"] = float(len(hits.title_concepts))
    return feats


def tfidf_vector(tokens: list[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear TF x IDF, L2-normalised; tokens outside the vocabulary are ignored."""
    counts = Counter(t for t in tokens if t in idf)
    vec = {t: (1.0 + math.log(n)) * idf[t] for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass
class RelevanceModel:
    """A trained model. ``score`` is cheap and thread-safe (the model is read-only)."""

    version: str
    threshold: float
    idf: dict[str, float]
    text_coef: dict[str, float]
    text_intercept: float
    combo_coef: dict[str, float]
    combo_intercept: float
    seeds: dict[str, dict[str, float]]
    meta: dict[str, Any] = field(default_factory=dict)

    def text_logit(self, vec: dict[str, float]) -> float:
        """The text model's logit for a TF-IDF vector."""
        return self.text_intercept + sum(v * self.text_coef.get(t, 0.0) for t, v in vec.items())

    def features(
        self, title: str | None, text: str
    ) -> tuple[dict[str, float], dict[str, float], LexiconHits]:
        """(combined features, TF-IDF vector, lexicon hits) of one document."""
        vec = tfidf_vector(stems(f"{title or ''}\n{text}"), self.idf)
        hits = analyse(title, text)
        feats = lexicon_features(hits)
        feats[TEXT_FEATURE] = self.text_logit(vec)
        return feats, vec, hits

    def raw_score(self, feats: dict[str, float]) -> float:
        """The calibrated probability for a feature dict."""
        z = self.combo_intercept + sum(self.combo_coef.get(k, 0.0) * v for k, v in feats.items())
        return _sigmoid(z)

    def score(self, title: str | None, text: str, language: str | None = None) -> Score:
        """Score one article. ``language`` is accepted for the interface; the model reads both
        English and Russian without being told."""
        feats, vec, hits = self.features(title, text)
        p = self.raw_score(feats)
        return Score(
            score=round(p, 4), relevant=p >= self.threshold, why=self._explain(feats, vec, hits, p)
        )

    def _explain(
        self, feats: dict[str, float], vec: dict[str, float], hits: LexiconHits, p: float
    ) -> dict[str, Any]:
        concepts = {
            k.removeprefix("lex:"): round(self.combo_coef.get(k, 0.0) * v, 3)
            for k, v in feats.items()
            if k.startswith("lex:")
            and k not in ("lex:total", "lex:anchors", "lex:title")
            and self.combo_coef.get(k, 0.0) * v > 0
        }
        phrases = sorted(hits.phrases.items(), key=lambda kv: -kv[1])
        text_terms = sorted(
            ((t, v * self.text_coef.get(t, 0.0)) for t, v in vec.items()), key=lambda kv: -kv[1]
        )
        terms: list[str] = []
        for phrase, _n in phrases:
            if phrase not in terms:
                terms.append(phrase)
            if len(terms) >= 5:
                break
        for term, contrib in text_terms:
            if contrib <= 0 or len(terms) >= 8:
                break
            if term not in terms:
                terms.append(term)
        nearest, sim = self.nearest_seed(vec)
        top = sorted(concepts, key=lambda c: -concepts[c])[:3]
        if p >= self.threshold:
            summary = (
                f"matches {', '.join(top)} near Russian-power anchors"
                if top
                else "close to the seed articles' wording"
            )
        elif hits.anchors and not top:
            summary = "mentions Russian power but no stability concept"
        elif top:
            summary = f"weak evidence ({', '.join(top)})"
        else:
            summary = "off topic"
        return {
            "terms": terms,
            "nearest_seed": nearest,
            "seed_similarity": round(sim, 3),
            "concepts": concepts,
            "summary": summary,
        }

    def nearest_seed(self, vec: dict[str, float]) -> tuple[str, float]:
        """The seed file whose TF-IDF vector is most similar (cosine) to ``vec``."""
        best, best_sim = "", -1.0
        for name, seed in self.seeds.items():
            sim = sum(v * seed.get(t, 0.0) for t, v in vec.items())
            if sim > best_sim:
                best, best_sim = name, sim
        return best, max(best_sim, 0.0)

    # -- persistence -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "idf": self.idf,
            "text_coef": self.text_coef,
            "text_intercept": self.text_intercept,
            "combo_coef": self.combo_coef,
            "combo_intercept": self.combo_intercept,
            "seeds": self.seeds,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], threshold: float) -> RelevanceModel:
        return cls(
            version=str(data["version"]),
            threshold=threshold,
            idf={str(k): float(v) for k, v in data["idf"].items()},
            text_coef={str(k): float(v) for k, v in data["text_coef"].items()},
            text_intercept=float(data["text_intercept"]),
            combo_coef={str(k): float(v) for k, v in data["combo_coef"].items()},
            combo_intercept=float(data["combo_intercept"]),
            seeds={
                str(k): {str(t): float(w) for t, w in v.items()} for k, v in data["seeds"].items()
            },
            meta=dict(data.get("meta") or {}),
        )

    def save(self, path: Path) -> None:
        """Write the model as JSON (atomically: a reader never sees half a file)."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(
            json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8"
        )
        tmp.replace(path)
