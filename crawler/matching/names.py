"""Names and terms found in an article, matched the way the topic lexicon matches: at the
start of a word, case-insensitive, ``ё`` read as ``е``, any inflected ending
("Дюмин" also finds "Дюмина", "Дюминым").

Reads the lexicon's anchor phrases straight from ``crawler/relevance/data/lexicon.toml``
without importing ``crawler.relevance`` (which loads the model's numeric libraries): the
digest must start fast.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

LEXICON = Path(__file__).resolve().parents[1] / "relevance" / "data" / "lexicon.toml"
# Enough of a long article to find the names it is about (they come early).
SCAN_CHARS = 8000


def normalize(text: str) -> str:
    """Lower-case and ``ё`` -> ``е`` (the lexicon's reading; keeps every offset)."""
    return text.lower().replace("ё", "е")


# A final vowel, й or ь changes with the case ("Алексей" -> "Алексея"; "Navalny" ->
# "Navalny's"): dropped from words of four letters or more, like the lexicon's hand-written
# stems ('путин\w*', 'губернатор\w*').
_CHANGING_END = re.compile(r"(?<=\w{3})[аяоеиыйьуюy]$")


def stem(word: str) -> str:
    """The part of a (normalized) word that stays the same when it is inflected."""
    return _CHANGING_END.sub("", word)


def term_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """Plain words or phrases as one pattern: each word at a word start, with any ending
    ("Алексей Дюмин" finds "Алексея Дюмина")."""
    parts = [
        r"\s+".join(re.escape(stem(w)) + r"\w*" for w in normalize(t).split())
        for t in terms
        if t.strip()
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts or ["(?!x)x"]) + ")", re.UNICODE)


@lru_cache(maxsize=1)
def _anchors() -> re.Pattern[str]:
    data = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
    phrases = [*data["anchors"]["leader"], *data["anchors"]["country"]]
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + ")", re.UNICODE)


def find(
    pattern: re.Pattern[str], texts: Sequence[str], limit: int = 6, stem: int = 0
) -> list[str]:
    """The distinct words ``pattern`` matches in ``texts``, spelled as in the text (with
    ``stem``, words sharing their first ``stem`` letters count once: "Путин", "Путина")."""
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        text = text[:SCAN_CHARS]
        for m in pattern.finditer(normalize(text)):
            word = text[m.start() : m.end()].strip()
            key = normalize(word)[:stem] if stem else normalize(word)
            if word and key not in seen:
                seen.add(key)
                out.append(word)
                if len(out) >= limit:
                    return out
    return out


def names_in(title: str, text: str, limit: int = 5) -> list[str]:
    """Names from the lexicon's anchors (leaders, bodies, regions) the article mentions,
    capitalised in the text (so "Putin", "Шойгу", not "russian")."""
    words = find(_anchors(), [title, text], limit=limit * 4, stem=5)
    return [w for w in words if w[:1].isupper()][:limit]
