"""Factored alternations match exactly what the plain alternation matches, in the same order."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.relevance.alternation import factor
from crawler.relevance.lexicon import bundled_lexicon


def _both(alternatives: list[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    plain = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")
    return plain, re.compile(r"(?<!\w)(?:" + factor(alternatives) + ")")


def test_factors_common_leading_letters() -> None:
    pattern = factor(["russia", "russian", "rusia", "moscow"])
    assert pattern.startswith("r(?:u(?:s(?:")  # one branch for the three r-words
    assert pattern.endswith("|moscow")


def test_first_matching_alternative_still_wins() -> None:
    """'russ\\w*' before 'russian regions' matches 'russian', as the plain pattern does; a
    group or an empty rest is a barrier nothing moves across."""
    alternatives = [r"russ(?!ell)\w*", "russian regions?", "(?:deputy )?ministers?", "min", "m"]
    plain, factored = _both(alternatives)
    for text in ["two russian regions", "the deputy minister", "a min", "m", "russell"]:
        assert factored.findall(text) == plain.findall(text)


def test_top_level_bar_is_kept_whole() -> None:
    plain, factored = _both(["ab|cd", "ax"])
    assert factored.findall("cd ax ab") == plain.findall("cd ax ab") == ["cd", "ax", "ab"]


_WORD = st.text(alphabet="abcрус", min_size=1, max_size=4)
_ALT = st.one_of(_WORD, _WORD.map(lambda w: w + r"\w*"), _WORD.map(lambda w: w + "s?"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALT, min_size=1, max_size=12), st.text(alphabet="abcрус .", max_size=40))
def test_same_matches_as_the_plain_alternation(alternatives: list[str], text: str) -> None:
    plain, factored = _both(alternatives)
    assert factored.findall(text) == plain.findall(text)


def test_the_bundled_lexicon_compiles_factored() -> None:
    lexicon = bundled_lexicon()
    assert lexicon.leader.search("путин и кремль")
    assert lexicon.country.search("в россии")
