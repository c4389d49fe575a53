"""Reading the shared corpus and scoring extracted text against its ground truth.

Used by the corpus tests and by the benchmark scripts in tests/benchmarks/. The corpus is read
from its folder at run time and never copied into the project.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")
SHINGLE = 4


@dataclass(frozen=True)
class CorpusPage:
    """One row of manifest.tsv with its file paths."""

    id: str
    url: str
    language: str
    label: str
    truth_kind: str
    html_path: Path
    truth_path: Path | None
    snippets_path: Path | None

    def body(self) -> bytes:
        return self.html_path.read_bytes()

    def truth(self) -> str | None:
        if self.truth_path is None:
            return None
        return self.truth_path.read_text(encoding="utf-8")

    def snippets(self) -> dict[str, list[str]] | None:
        if self.snippets_path is None:
            return None
        data = json.loads(self.snippets_path.read_text(encoding="utf-8"))
        return {"with": list(data.get("with", [])), "without": list(data.get("without", []))}


def load_pages(corpus_dir: Path) -> list[CorpusPage]:
    """Every page listed in the manifest (in manifest order)."""
    pages = []
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            truth = corpus_dir / "truth" / f"{row['id']}.txt"
            snippets = corpus_dir / "truth_snippets" / f"{row['id']}.json"
            pages.append(
                CorpusPage(
                    id=row["id"],
                    url=row["url"],
                    language=row["language"],
                    label=row["label"],
                    truth_kind=row.get("truth_kind") or "",
                    html_path=corpus_dir / "pages" / f"{row['id']}.html",
                    truth_path=truth if truth.exists() else None,
                    snippets_path=snippets if snippets.exists() else None,
                )
            )
    return pages


def reference_pages(pages: Iterable[CorpusPage]) -> list[CorpusPage]:
    """Pages whose truth is hand-checked (truth_kind == reference): the only ones to score on."""
    return [p for p in pages if p.truth_kind == "reference" and p.truth_path is not None]


def tokens(text: str) -> list[str]:
    """Lower-cased words; CJK characters count as one token each (they have no spaces)."""
    return _TOKEN.findall(text.lower())


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    words = tokens(text)
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score_text(extracted: str | None, truth: str) -> Score:
    """4-gram shingle precision and recall of ``extracted`` against ``truth``."""
    got, want = shingles(extracted or ""), shingles(truth)
    if not got or not want:
        return Score(0.0, 0.0)
    common = len(got & want)
    return Score(common / len(got), common / len(want))


def macro(scores: list[Score]) -> Score:
    """Macro-averaged precision and recall; use ``macro_f1`` for the F1 figure."""
    n = len(scores) or 1
    return Score(sum(s.precision for s in scores) / n, sum(s.recall for s in scores) / n)


def macro_f1(scores: list[Score]) -> float:
    """Mean of the per-page F1 values."""
    return sum(s.f1 for s in scores) / (len(scores) or 1)
