"""The cheap language guess: script first, then stop words; the page's own declaration."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml.html import fromstring

from crawler.extraction import language
from crawler.extraction.language import declared_language, guess_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The minister said that the plan was approved by the council on Friday.", "en"),
        ("Der Minister sagte, dass der Plan am Freitag von dem Rat nicht gebilligt wurde.", "de"),
        ("Le ministre a dit que le plan est approuvé pour la ville et les habitants.", "fr"),
        ("Министр сказал, что план был одобрен советом в пятницу, но не все согласны с ним.", "ru"),
        (
            "Міністр сказав, що план було схвалено радою, і це важливо для регіону.",
            "uk",
        ),
        ("国务院总理主持召开常务会议，研究部署进一步稳定经济增长的政策措施。", "zh"),
        ("政府は金曜日、新しい経済対策を発表しました。これは大きな変化です。", "ja"),
        (
            "Statsministeren sa at planen ble vedtatt etter et møte, og det er ikke å glemme.",
            "no",
        ),
    ],
)
def test_guess_language(text: str, code: str) -> None:
    assert guess_language(text) == code


def test_guess_language_is_none_when_unsure() -> None:
    assert guess_language("12345 67890") is None
    assert guess_language("Xyzzy plugh") is None


@pytest.mark.parametrize(
    ("head", "code"),
    [
        ('<html lang="pt-BR"><head></head>', "pt"),
        ('<html><head><meta http-equiv="Content-Language" content="de"></head>', "de"),
        ('<html><head><meta property="og:locale" content="ru_RU"></head>', "ru"),
        ('<html><head><meta http-equiv="content-language" content="utf-8"></head>', None),
    ],
)
def test_declared_language(head: str, code: str | None) -> None:
    assert declared_language(fromstring(head + "<body><p>x</p></body></html>")) == code


def _guess_word_by_word(text: str) -> str | None:
    """The guess as it was first written: every word tested against every list."""
    sample = text[: language._SAMPLE_CHARS]
    letters = len(language._WORD.findall(sample)) or 1
    for code, pattern in language._SCRIPTS:
        if code == "zh" and language._SCRIPTS[1][1].search(sample):
            continue
        if len(pattern.findall(sample)) > 0.3 * letters:
            return code
    words = [w.lower() for w in language._WORD.findall(sample)]
    if not words:
        return None
    hits = {code: sum(1 for w in words if w in stop) for code, stop in language._STOPWORDS.items()}
    best = max(hits, key=lambda code: hits[code])
    if hits[best] < max(3, 0.05 * len(words)):
        return None
    return best


_WORDS = sorted({w for stop in language._STOPWORDS.values() for w in stop})
_WORDS += ["Kremlin", "THE", "Und", "ПУТИН", "42", "政府", "минister", ".", "\n"]


@given(st.lists(st.sampled_from(_WORDS), max_size=120).map(" ".join))
def test_the_guess_answers_as_testing_every_word_did(text: str) -> None:
    """Ties included: the first language with the most hits, in the lists' order."""
    assert guess_language(text) == _guess_word_by_word(text)
