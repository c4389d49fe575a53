"""Watch-list rules match the way the topic lexicon does: any case, ё as е, any ending."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.watch import WatchList, WatchRule
from scheduler.config import parse_config
from storage.exceptions import ConfigError

RULES = WatchList(
    [
        WatchRule("Дюмин", ("Дюмин",)),
        WatchRule("governors", ("governor", "Алексей Дюмин"), sources=("wire",)),
        WatchRule("Шойгу", ("шойгу", "Артём Тюрин")),
    ]
)


def names(source: str, title: str, text: str = "") -> list[str]:
    return [r.name for r in RULES.matches(source, title, text)]


def test_russian_names_match_in_every_case_ending() -> None:
    assert names("any", "Встреча с Дюминым") == ["Дюмин"]
    assert names("any", "", "Указ о назначении Дюмина подписан") == ["Дюмин"]
    assert names("wire", "", "Губернатор Алексея Дюмина не ждали") == ["Дюмин", "governors"]
    # ё is е, and the other way round; capitals do not matter
    assert names("any", "АРТЕМ ТЮРИНА задержали") == ["Шойгу"]
    assert names("any", "Министр ШОЙГУ") == ["Шойгу"]


def test_english_terms_match_plurals_and_only_at_a_word_start() -> None:
    assert names("wire", "Three governors resign") == ["governors"]
    assert names("wire", "The ex-governor speaks") == ["governors"]
    assert names("wire", "Misgovernorship") == []
    # a rule limited to some sources ignores the others
    assert names("blog", "Three governors resign") == []


def test_watch_rules_in_the_config_are_checked_by_name(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "wire"\nurl = "https://wire.example/f"\nkind = "feed"\n'
    cfg = parse_config(
        base + '[[watch]]\nname = "g"\nterms = ["губернатор"]\nsources = ["wire"]\nurgent = true\n',
        tmp_path / "n.toml",
    )
    assert cfg.watch == (WatchRule("g", ("губернатор",), ("wire",), True),)
    for text, key in (
        ('[[watch]]\nname = "g"\n', "watch[0].terms"),
        ('[[watch]]\nname = "g"\nterms = []\n', "watch[0].terms"),
        ('[[watch]]\nname = "g"\nterms = ["x"]\nsources = ["nope"]\n', "watch[0].sources"),
        ('[[watch]]\nname = "g"\nterms = ["x"]\ncolour = "red"\n', "watch[0].colour"),
        (
            '[[watch]]\nname = "g"\nterms = ["x"]\n[[watch]]\nname = "g"\nterms = ["y"]\n',
            "watch[1].name",
        ),
    ):
        with pytest.raises(ConfigError) as err:
            parse_config(base + text, tmp_path / "n.toml")
        assert err.value.key == key and str(tmp_path / "n.toml") in str(err.value)
