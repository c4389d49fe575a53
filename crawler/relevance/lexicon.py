"""The topic lexicon: stability concepts that count only when they are about Russian power.

The phrases live in ``data/lexicon.toml`` (English, Russian with inflected forms and
transliterated names, common German, French, Spanish and Hungarian forms), written from the topic
definition and tuned only on the development sets ``tests/relevance/devset*.jsonl``. A trained
model embeds the lexicon it was trained with, so a rolled back model scores exactly as it did.

Each concept has a *scope*, the condition under which a hit counts:

    near     an anchor (Putin, the Kremlin, Russia, ...) in the sentence or the next/previous one
    russia   an anchor in the same sentence (a protest in Russia, not in Plymouth)
    leader   a leader anchor (Putin, the Kremlin, ...) in the same sentence (the leader's health)

and may *require* a second phrase in the same sentence (an arrest of an official or a general,
not of a shoplifter). A sentence about another country's politics (the ``foreign`` list: a coup
in Armenia, a purge in China, Lukashenko's health) neither anchors nor counts unless it names the
Russian leadership itself: "a Russian-Armenian billionaire" does not make a coup plot Russian.
A war report that names Putin in every sentence has anchors everywhere but few stability
concepts, so the score is a *density*: qualifying sentences over document length; and the share
of sentences about war, sanctions or diplomacy (the *distractors*) is kept too.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from crawler.relevance.alternation import factor
from crawler.relevance.text import normalize, sentences
from storage.exceptions import ModelError

# A sentence's best concept counts fully, further concepts in the same sentence a little.
EXTRA_CONCEPT = 0.3
SCOPES = ("near", "russia", "leader")
# A "near" concept needs an anchor within WINDOW sentences...
WINDOW = 1
# ...unless the article is about Russia (DOC_ANCHORS sentences name its leaders, or the title
# names Russia): then the strong concepts (weight >= DOC_MIN_WEIGHT: coup, mutiny, purge,
# succession, ...) count anywhere in it, at DOC_FACTOR. "The purge widened" needs no "Kremlin"
# in the same breath; a passing "regime" or "protest" far from any anchor still does not count.
DOC_ANCHORS = 3
DOC_FACTOR = 0.5
DOC_MIN_WEIGHT = 2.5


def _rx(alternatives: list[str]) -> re.Pattern[str]:
    """The phrases as one pattern matched at word starts (alternatives factored for speed)."""
    return _compiled(tuple(alternatives))


@functools.lru_cache(maxsize=256)
def _compiled(alternatives: tuple[str, ...]) -> re.Pattern[str]:
    """Cached: factoring and compiling the bundled lexicon's 38 patterns takes about 0.1 s, and
    every extraction worker loads the model on its first page. The extraction forkserver
    compiles the bundled lexicon once (crawler/relevance/preload.py), so the workers forked
    from it find the patterns of a model trained with that lexicon already compiled (issue 16).
    """
    return re.compile(r"(?<!\w)(?:" + factor(list(alternatives)) + r")", re.UNICODE)


_NEVER = _rx(["(?!x)x"])


@dataclass(frozen=True)
class Concept:
    """A stability concept: weight, phrases, scope, and an optional co-phrase."""

    name: str
    weight: float
    pattern: re.Pattern[str]
    scope: str = "near"
    requires: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Lexicon:
    """Compiled anchors, concepts and distractors; ``data`` is the source (saved in models)."""

    data: dict[str, Any]
    leader: re.Pattern[str]
    country: re.Pattern[str]
    distractors: re.Pattern[str]
    concepts: tuple[Concept, ...]
    foreign: re.Pattern[str] = field(default_factory=lambda: _NEVER)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Lexicon:
        try:
            lists = {k: _rx(v) for k, v in data.get("lists", {}).items()}
            concepts = []
            for c in data["concepts"]:
                if c.get("scope", "near") not in SCOPES:
                    raise ModelError(f"lexicon concept {c['name']!r}: scope must be {SCOPES}")
                concepts.append(
                    Concept(
                        name=str(c["name"]),
                        weight=float(c["weight"]),
                        pattern=_rx(c["phrases"]),
                        scope=str(c.get("scope", "near")),
                        requires=lists[c["requires"]] if c.get("requires") else None,
                    )
                )
            return cls(
                data=data,
                leader=_rx(data["anchors"]["leader"]),
                country=_rx(data["anchors"]["country"]),
                distractors=lists.get("distractors", _NEVER),
                concepts=tuple(concepts),
                foreign=lists.get("foreign", _NEVER),
            )
        except (KeyError, TypeError, re.error) as exc:
            raise ModelError(f"invalid topic lexicon: {exc!r}") from exc


def bundled_lexicon() -> Lexicon:
    """The lexicon shipped in ``crawler/relevance/data/lexicon.toml``."""
    raw = resources.files("crawler.relevance").joinpath("data", "lexicon.toml").read_bytes()
    return Lexicon.from_data(tomllib.loads(raw.decode("utf-8")))


@dataclass
class LexiconHits:
    """What the lexicon found in one document."""

    sentences: int = 0
    leader: int = 0
    country: int = 0
    # Sum over sentences of the sentence's concept score (see EXTRA_CONCEPT).
    total: float = 0.0
    # Concept score of the title alone.
    title: float = 0.0
    # Sentences about war, sanctions or diplomacy.
    distractor: int = 0
    weights: dict[str, float] = field(default_factory=dict)
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    phrases: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def distractor_share(self) -> float:
        """The share of sentences about war, sanctions or diplomacy."""
        return self.distractor / self.sentences if self.sentences else 0.0

    @property
    def density(self) -> float:
        """Concept score per (log) document length: long war reports do not add up."""
        return self.total / math.log(2 + self.sentences)

    def evidence(self) -> dict[str, float]:
        """Per-concept evidence: weight x log(1 + qualifying hits)."""
        return {k: self.weights[k] * math.log1p(n) for k, n in self.counts.items() if n}


def _sentence_score(
    lexicon: Lexicon, s: str, scopes: frozenset[str], hits: LexiconHits, min_weight: float = 0.0
) -> float:
    found: list[float] = []
    for c in lexicon.concepts:
        if c.scope not in scopes or c.weight < min_weight:
            continue
        phrases = c.pattern.findall(s)
        if not phrases or (c.requires is not None and not c.requires.search(s)):
            continue
        found.append(c.weight)
        hits.weights[c.name] = c.weight
        hits.counts[c.name] += len(phrases)
        for p in phrases:
            hits.phrases[p] += 1
    if not found:
        return 0.0
    found.sort(reverse=True)
    return found[0] + EXTRA_CONCEPT * sum(found[1:])


def analyse(lexicon: Lexicon, title: str | None, text: str) -> LexiconHits:
    """Anchors and qualifying concept hits of a document (the title is one more sentence)."""
    sents = [normalize(s) for s in sentences(text)]
    head = normalize(title) if title else ""
    if head:
        sents.insert(0, head)
    hits = LexiconHits(sentences=len(sents))
    leader = [bool(lexicon.leader.search(s)) for s in sents]
    # Another country's politics without the Russian leadership in the sentence: not ours.
    abroad = [
        not lead and bool(lexicon.foreign.search(s)) for s, lead in zip(sents, leader, strict=True)
    ]
    country = [
        bool(lexicon.country.search(s)) and not away for s, away in zip(sents, abroad, strict=True)
    ]
    hits.leader = sum(leader)
    hits.country = sum(country)
    hits.distractor = sum(1 for s in sents if lexicon.distractors.search(s))
    about_russia = hits.leader >= DOC_ANCHORS or bool(head and (leader[0] or country[0]))
    anchored = [a or b for a, b in zip(leader, country, strict=True)]
    for i, s in enumerate(sents):
        if abroad[i]:
            continue
        near = any(anchored[max(0, i - WINDOW) : i + WINDOW + 1])
        factor, min_weight = 1.0, 0.0
        if leader[i]:
            scopes = frozenset(("near", "russia", "leader"))
        elif country[i] or (near and about_russia):
            scopes = frozenset(("near", "russia"))
        elif near:
            scopes = frozenset(("near",))
        elif about_russia:
            scopes = frozenset(("near",))
            factor, min_weight = DOC_FACTOR, DOC_MIN_WEIGHT
        else:
            continue
        score = factor * _sentence_score(lexicon, s, scopes, hits, min_weight)
        hits.total += score
        if head and i == 0:
            hits.title = score
    return hits
