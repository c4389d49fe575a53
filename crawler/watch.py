"""Watch-lists: ``[[watch]]`` rules naming people, bodies or places that must always reach the
analyst. An article matching a rule's terms (in its title or text; only from the rule's
``sources`` when it names some) goes into the digest whatever its score, marked with the
rule's name; an ``urgent`` rule also sends an immediate alert.

Terms match the way the topic lexicon does: case-insensitive, ``ё`` read as ``е``, at a word
start with any ending, so "Дюмин" also finds "Дюмина" and "Дюминым", and "governor" finds
"governors".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from crawler.matching.names import normalize, term_pattern


class WatchRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One ``[[watch]]`` rule (scheduler/config.py checks the names and terms)."""

    name: str
    terms: tuple[str, ...]
    sources: tuple[str, ...] = ()  # empty: every source
    urgent: bool = False


class WatchList:
    """The rules, compiled once."""

    def __init__(self, rules: Sequence[WatchRule]) -> None:
        self.rules = tuple(rules)
        self._patterns: tuple[re.Pattern[str], ...] = tuple(term_pattern(r.terms) for r in rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def matches(self, source: str, title: str | None, text: str) -> list[WatchRule]:
        """The rules ``title``/``text`` of an article from ``source`` match, in config order."""
        haystack = normalize(f"{title or ''}\n{text}")
        return [
            rule
            for rule, pattern in zip(self.rules, self._patterns, strict=True)
            if (not rule.sources or source in rule.sources) and pattern.search(haystack)
        ]
