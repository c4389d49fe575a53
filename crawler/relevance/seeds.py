"""Reading the seed articles (``seeds/*.txt``: the first line may be the title)."""

from __future__ import annotations

from pathlib import Path

from crawler.relevance.training import TrainingDoc
from storage.exceptions import ModelError


def read_seeds(seeds_dir: Path) -> list[TrainingDoc]:
    """Every ``*.txt`` file in ``seeds_dir`` as a positive training document."""
    if not seeds_dir.is_dir():
        raise ModelError(f"seeds folder {seeds_dir} does not exist")
    docs = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            docs.append(TrainingDoc(path.name, None, text, True, "seed"))
    if not docs:
        raise ModelError(f"no seed articles (*.txt) in {seeds_dir}")
    return docs
