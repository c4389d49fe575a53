"""Functions the pipeline stages run in the worker processes (``ExtractionPool.submit_call``).

Each is a pure function of its arguments (plus per-process caches of loaded models), so the
crawl process's reactor thread spends no CPU on extraction, compression, scoring or signing.
The crawl process imports this module only for the functions' names; what they need
(trafilatura, the relevance model, numpy) is imported inside them, in the worker.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.extraction.result import Extracted
from storage.compress import RAW_GZIP_LEVEL, gzip_raw

if TYPE_CHECKING:
    from crawler.relevance import RelevanceModel
    from storage.bands import BandLayout
    from storage.signature import Signer

# Modules the tasks import besides extraction (scoring, signing): the forkserver imports them
# once and every worker shares them, instead of each worker importing them on its first page.
# Signing loads numpy (storage.signature, not storage.dedup, which would bring SQLAlchemy and
# the models into every worker for nothing: 0.4 CPU s of each crawl's warm-up, issue 16).
# The bundled lexicon's patterns are compiled there too (crawler/relevance/preload.py).
WORKER_PRELOAD = ("crawler.relevance", "crawler.relevance.preload", "storage.bands")


@dataclass(frozen=True)
class ScoreResult:
    """:func:`score_article`'s answer, in plain types: unpickling the model's own ``Score`` in
    the crawl process imported the relevance package and numpy there (0.15 s, issue 16)."""

    score: float
    relevant: bool
    why: dict[str, Any]
    model_version: str


@dataclass(frozen=True)
class ModelRef:
    """Where a crawl's relevance model is kept, and its threshold: what a worker needs to load
    (or, for :func:`model_version`, train) it."""

    model_dir: str
    seeds_dir: str
    threshold: float


@dataclass(frozen=True)
class PackedPage:
    """The result of :func:`extract_and_pack`: extraction, the gzip'd raw body and, when asked
    for, the text's dedup signature (:func:`sign_text`'s answer) and its relevance score (None
    when no model is saved yet: the score stage then has the model trained, once)."""

    extracted: Extracted | None
    body_gz: bytes
    signed: tuple[str, bytes, list[int]] | None = None
    scored: ScoreResult | None = None


def extract_and_pack(
    body: bytes,
    url: str,
    http_encoding: str | None,
    gzip_level: int = RAW_GZIP_LEVEL,
    sign_with: tuple[float, int, int] | None = None,
    score_with: ModelRef | None = None,
    hint_title: str | None = None,
    fallback_language: str | None = None,
) -> PackedPage:
    """Extract the article and compress the raw page in one trip to the worker; with
    ``sign_with`` (``(near_threshold, num_perm, shingle_words)``) also sign the text, and with
    ``score_with`` score it with the saved model (never training one: see :func:`_model`).
    A page without a title or a language is scored with ``hint_title`` (its listing's) and
    ``fallback_language`` (its source's), as the item is filled in the crawl process.

    Signing and scoring here spare each article two more trips (pickling its text to a worker
    and the answer back, through three threads of the crawl process). Those trips were about a
    fifth of the crawl process's CPU; and a score waited in the pool's queue behind the
    extraction of every page fetched after its own, so the pages of a burst reached the store
    stage all at once while the workers idled (issue 16).
    """
    from crawler.extraction.pool import _extract

    extracted = _extract(body, url, http_encoding)
    signed = scored = None
    if extracted is not None and extracted.text.strip():
        if sign_with is not None:
            threshold, num_perm, shingle_words = sign_with
            signed = sign_text(extracted.text, num_perm, shingle_words, threshold)
        if score_with is not None:
            model = _model(score_with.model_dir, score_with.seeds_dir, score_with.threshold, False)
            if model is not None:
                title = extracted.title or hint_title
                language = extracted.language or fallback_language
                scored = _score(model, title, extracted.text, language)
    body_gz = gzip_raw(body, gzip_level)
    return PackedPage(extracted, body_gz, signed, scored)


# This worker's relevance models, by (model_dir, threshold); a crawl uses one.
_models: dict[tuple[str, float], RelevanceModel] = {}
# The saved version this worker could not load, by (model_dir, threshold): not tried again (nor
# warned about again) for every page, until another version is made current.
_unloadable: dict[tuple[str, float], str] = {}
# How many times this worker loaded (or trained) a model: once a crawl (tests read it).
model_loads = 0


def _model(
    model_dir: str, seeds_dir: str, threshold: float, train: bool = True
) -> RelevanceModel | None:
    """This worker's model, loaded once. ``train``: when none is saved yet, train one from the
    seeds and save it (only one worker may be asked that at a time: :func:`model_version`);
    without it, None until one is saved (or while the saved one cannot be read: the score stage
    then has a new one trained). Two workers may load a saved model at once."""
    global model_loads
    key = (model_dir, threshold)
    model = _models.get(key)
    if model is None:
        from crawler.relevance import ModelStore, load_model

        if train:
            model = load_model(Path(model_dir), Path(seeds_dir), threshold)
        else:
            store = ModelStore(Path(model_dir))
            version = store.current_version()
            if version is None or _unloadable.get(key) == version:
                return None
            model = store.load_current(threshold)  # warns when it cannot
            if model is None:
                _unloadable[key] = version
                return None
        model_loads += 1
        _models[key] = model
    return model


def _trained(model_dir: str, seeds_dir: str, threshold: float) -> RelevanceModel:
    model = _model(model_dir, seeds_dir, threshold)
    assert model is not None  # trained when none was saved
    return model


def _score(
    model: RelevanceModel, title: str | None, text: str, language: str | None
) -> ScoreResult:
    score = model.score(title, text, language)
    return ScoreResult(float(score.score), bool(score.relevant), score.why, model.version)


def model_version(model_dir: str, seeds_dir: str, threshold: float) -> str:
    """Load (or train and save, when none is saved yet) the model; returns its version.

    Called once before any scoring, so that two workers never train it at the same time.
    """
    return _trained(model_dir, seeds_dir, threshold).version


def score_article(
    model_dir: str,
    seeds_dir: str,
    threshold: float,
    title: str | None,
    text: str,
    language: str | None,
) -> ScoreResult:
    """The relevance score of one article and the version of the model that gave it."""
    return _score(_trained(model_dir, seeds_dir, threshold), title, text, language)


@functools.lru_cache(maxsize=4)
def _signer(num_perm: int, shingle_words: int) -> Signer:
    from storage.signature import Signer

    return Signer(num_perm, shingle_words)


@functools.lru_cache(maxsize=4)
def _layout(near_threshold: float, num_perm: int) -> BandLayout:
    from storage.bands import BandLayout

    return BandLayout(near_threshold, num_perm)


def sign_text(
    text: str, num_perm: int, shingle_words: int, near_threshold: float
) -> tuple[str, bytes, list[int]]:
    """``(text_hash, minhash, band_keys)`` of ``text`` for the dedup index: the signature
    (``storage.signature.Signer``) and its LSH band keys (``storage.bands.BandLayout``), so
    that the crawl process needs no numpy to check and store it."""
    digest, blob = _signer(num_perm, shingle_words).sign(text)
    return digest, blob, _layout(near_threshold, num_perm).keys(blob)
