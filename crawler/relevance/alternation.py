"""Factor a list of regular-expression alternatives by their common leading letters.

The lexicon's patterns are long alternations (``russ\\w*|rusia\\w*|moscow\\w*|...``) tried at
every word start of every sentence. Python's regex engine tries each alternative in turn, so
a pattern with 300 alternatives costs 300 comparisons per word. Grouping alternatives by their
first letters (``r(?:uss\\w*|usia\\w*)|moscow\\w*``) lets one comparison rule out a whole group:
the same matches, about a quarter faster over the lexicon. Only plain leading characters are
factored; an alternative that starts with a group, a class, an escape or a quantified character,
or that holds a top-level ``|``, is kept as it is, and nothing moves across it: alternatives are
tried in order and the first that matches wins, so only alternatives that cannot match at the
same place (different first characters) may change places.
"""

from __future__ import annotations

from collections import defaultdict

_META = set("\\.^$*+?{}[]()|")
_QUANTIFIERS = set("*+?{")


def _top_level_bar(alternative: str) -> bool:
    """True when ``alternative`` has a ``|`` outside any group or class."""
    depth, in_class, escaped = 0, False, False
    for ch in alternative:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def _head(alternative: str) -> str | None:
    """The leading character that can be factored out, if any."""
    if not alternative or alternative[0] in _META:
        return None
    if len(alternative) > 1 and alternative[1] in _QUANTIFIERS:
        return None
    return alternative[0]


def factor(alternatives: list[str]) -> str:
    """One pattern matching exactly what ``"|".join(alternatives)`` matches, factored."""
    parts: list[str] = []
    groups: dict[str, list[str]] = defaultdict(list)

    def flush() -> None:
        for head, rests in groups.items():
            parts.append(head + (rests[0] if len(rests) == 1 else "(?:" + factor(rests) + ")"))
        groups.clear()

    for alt in dict.fromkeys(alternatives):  # drop repeats, keep order
        head = None if _top_level_bar(alt) else _head(alt)
        if head is None:  # a barrier: what could match at the same place keeps its order
            flush()
            parts.append(alt)
        else:
            groups[head].append(alt[1:])
    flush()
    return "|".join(parts)
