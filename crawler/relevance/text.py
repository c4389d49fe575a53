"""Tokens, stems and sentences for the relevance model (English, Russian, and the rest).

The stemmer is deliberately crude and language-agnostic: lower-case, ``ё`` -> ``е``, a few
English suffixes dropped, then truncation (7 letters for Latin, 6 for Cyrillic). Russian is
highly inflected, and a 6-letter prefix folds most case endings of a noun onto one feature
(``губернатора``, ``губернатором`` -> ``губерн``) without a dictionary or a dependency.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_SENTENCE_RE = re.compile(r"(?<=[.!?…])\s+|\n+")
_CYRILLIC_RE = re.compile(r"[а-яё]")
_EN_SUFFIXES = ("'s", "’s", "ing", "ed", "es", "ly", "s")

# Frequent function words (English and Russian) carry no topic and only add noise.
_STOPWORD_TEXT = """
    a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those he she they them his her their we our you your i me my not no
    so than then there here which who whom whose what when where why how all any both each few
    more most other some such only own same too very can will just should now also into over
    after before about against between during out up down off again further once said says
    would could may might must has have had do does did having new one two three year years
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
    тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
    сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше
    тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой
    перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это также
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def normalize(text: str) -> str:
    """Lower-case and fold ``ё`` into ``е`` (Russian texts use both spellings)."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """Normalized word tokens (letters only; digits and punctuation dropped)."""
    return _WORD_RE.findall(normalize(text))


# The recent words' stems. Scoring the corpus's 346 articles four times (a multilingual worst
# case: 55,595 distinct words), 32,768 entries cost ~0.2 ms an article more than 200,000
# (2.8 against 2.6 ms; 77% of lookups hit against 95%), while 200,000 entries would hold some
# 35 MB in every worker (the corpus's 55,595 held 10 MB; issue 16).
@lru_cache(maxsize=32_768)
def stem(word: str) -> str:
    """A crude stem: English suffixes dropped, then truncated (see the module docstring)."""
    if _CYRILLIC_RE.search(word):
        return word[:6]
    for suffix in _EN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:7]


def stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` (stop words and one-letter words dropped)."""
    return [stem(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def sentences(text: str) -> list[str]:
    """Split into sentences (and lines); good enough to decide what co-occurs with what."""
    return [s for s in (p.strip() for p in _SENTENCE_RE.split(text)) if s]
