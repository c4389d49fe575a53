"""Labelled evaluation data: the shared corpus layout and user JSONL files.

The corpus (``manifest.tsv`` + ``truth/`` + ``pages/`` + ``texts.jsonl``) is for evaluation and
choosing defaults only; nothing here is ever used to train the shipped model.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.relevance.htmltext import html_to_text
from storage.exceptions import UsageError

POSITIVE_LABELS = frozenset({"rel", "relevant", "yes", "true", "1", "pos", "positive"})
NEGATIVE_LABELS = frozenset(
    {
        "near",
        "irr",
        "not-relevant",
        "not relevant",
        "irrelevant",
        "no",
        "false",
        "0",
        "neg",
        "negative",
    }
)


@dataclass(frozen=True)
class LabelledDoc:
    """A document with a truth label; ``kind`` keeps the original label (e.g. rel/near/irr)."""

    id: str
    title: str | None
    text: str
    relevant: bool
    kind: str


def parse_label(value: Any) -> tuple[bool, str]:
    """(relevant, kind) from a label written as bool, 0/1 or a word such as rel/near/irr."""
    if isinstance(value, bool):
        return value, "rel" if value else "not"
    kind = str(value).strip().lower()
    if kind in POSITIVE_LABELS:
        return True, kind
    if kind in NEGATIVE_LABELS:
        return False, kind
    raise UsageError(f"unknown label {value!r} (use true/false, 1/0, rel/near/irr)")


def read_jsonl(path: Path) -> list[LabelledDoc]:
    """Objects with ``text`` (or ``html``), ``label`` and optionally ``id`` and ``title``."""
    docs = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise UsageError(f"{path}:{n}: not JSON: {exc}") from exc
            if "label" not in obj:
                raise UsageError(f"{path}:{n}: no 'label'")
            relevant, kind = parse_label(obj["label"])
            title = obj.get("title")
            if obj.get("text"):
                text = str(obj["text"])
            elif obj.get("html"):
                found_title, text = html_to_text(
                    str(obj["html"]).encode("utf-8"), str(obj.get("url") or "")
                )
                title = title or found_title
            else:
                raise UsageError(f"{path}:{n}: needs 'text' or 'html'")
            docs.append(LabelledDoc(str(obj.get("id", n)), title, text, relevant, kind))
    return docs


def read_corpus(corpus_dir: Path) -> Iterator[LabelledDoc]:
    """Every labelled item of a corpus folder: ``texts.jsonl`` and the labelled pages (truth
    text when there is one, else the page's extracted text)."""
    texts = corpus_dir / "texts.jsonl"
    if texts.exists():
        yield from read_jsonl(texts)
    with (corpus_dir / "manifest.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = (row.get("label") or "").strip()
            if not label:
                continue
            relevant, kind = parse_label(label)
            truth = corpus_dir / "truth" / f"{row['id']}.txt"
            title: str | None = row.get("title") or None
            if truth.exists():
                text = truth.read_text(encoding="utf-8", errors="replace")
            else:
                page = corpus_dir / "pages" / f"{row['id']}.html"
                found_title, text = html_to_text(page.read_bytes(), row.get("url") or "")
                title = title or found_title
            yield LabelledDoc(row["id"], title, text, relevant, kind)
