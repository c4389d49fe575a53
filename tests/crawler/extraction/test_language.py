"""The cheap language guess: script first, then stop words; the page's own declaration."""

from __future__ import annotations

import pytest
from lxml.html import fromstring

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
