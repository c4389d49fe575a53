"""The result of scoring one article."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Score:
    """A relevance score in [0, 1], the yes/no against the threshold, and why.

    ``why`` is JSON-serialisable: ``{"terms": [...], "nearest_seed": "<seed file>",
    "summary": "<one short sentence>"}`` (plus ``"concepts"``: concept -> evidence).
    """

    score: float
    relevant: bool
    why: dict[str, Any]
