"""The last-resort date parser: limited to news languages, installed into htmldate."""

from __future__ import annotations

import datetime as dt

import htmldate.extractors
import pytest

from crawler.extraction import dateparse
from crawler.extraction.extract import extract_article


def test_htmldate_uses_the_news_date_parser() -> None:
    """Importing the extractor installs the parser; if a new htmldate dropped the hook, this
    fails instead of every worker silently paying for all 205 locales again."""
    assert htmldate.extractors.get_external_parser is dateparse.news_date_parser


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("15 августа 2016, 13:43", dt.datetime(2016, 8, 15, 13, 43)),
        ("3 березня 2022", dt.datetime(2022, 3, 3)),
        ("12. März 2024", dt.datetime(2024, 3, 12)),
        ("jueves, 09 enero 2014 - 10:21", dt.datetime(2014, 1, 9, 10, 21)),
        ("2023. május 5.", dt.datetime(2023, 5, 5)),
    ],
)
def test_dates_in_words_in_news_languages(written: str, expected: dt.datetime) -> None:
    assert dateparse.news_date_parser().get_date_data(written)["date_obj"] == expected


def test_a_russian_date_in_words_reaches_the_article() -> None:
    """A page whose only date is written in Russian words gets it as published_at."""
    page = (
        "<html><head><title>Отставка губернатора</title></head><body><article>"
        "<h1>Отставка губернатора</h1><span class='date'>15 августа 2016, 13:43</span>"
        + "<p>Губернатор области подал в отставку после обысков в администрации региона.</p>" * 6
        + "</article></body></html>"
    ).encode()
    got = extract_article(page, "http://news.example/otstavka-gubernatora")
    assert got is not None
    assert got.published_at == dt.datetime(2016, 8, 15, 13, 43, tzinfo=dt.UTC)
