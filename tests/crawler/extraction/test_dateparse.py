"""The last-resort date parser: limited to news languages, installed into htmldate."""

from __future__ import annotations

import datetime as dt

import htmldate.extractors
import pytest

from crawler.extraction import dateparse
from crawler.extraction.extract import extract_article
from crawler.extraction.page_language import page_language


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


def test_a_declared_language_limits_the_parser_to_it_and_english() -> None:
    assert dateparse.languages_for("ru") == ("ru", "en")
    assert dateparse.languages_for("en") == ("en",)
    assert dateparse.languages_for("ja") == ("zh", "ja", "ko", "en")
    assert dateparse.languages_for(None) == dateparse.LANGUAGES
    assert dateparse.languages_for("xx") == dateparse.LANGUAGES
    assert dateparse.languages_for("no") == ("nb", "en")
    with page_language(lambda: "de"):
        assert dateparse.news_date_parser() is dateparse.date_parser(("de", "en"))
    assert dateparse.news_date_parser() is dateparse.date_parser(dateparse.LANGUAGES)


@pytest.mark.parametrize(
    ("lang", "written", "expected"),
    [
        ("ru", "15 августа 2016, 13:43", dt.datetime(2016, 8, 15, 13, 43, tzinfo=dt.UTC)),
        ("ja", "2016年10月14日07:17", dt.datetime(2016, 10, 14, 7, 17, tzinfo=dt.UTC)),
        (None, "12. März 2024", dt.datetime(2024, 3, 12, tzinfo=dt.UTC)),
    ],
)
def test_a_date_in_words_on_a_page_that_declares_its_language(
    lang: str | None, written: str, expected: dt.datetime
) -> None:
    """The page's declared language (or none: every language) finds its date in words."""
    attr = f' lang="{lang}"' if lang else ""
    page = (
        f"<html{attr}><head><title>Title</title></head><body><article>"
        f"<h1>Title</h1><span class='date'>{written}</span>"
        + "".join(
            f"<p>Paragraph {i} of the article, long enough for it to be kept.</p>" for i in range(8)
        )
        + "</article></body></html>"
    ).encode()
    got = extract_article(page, "http://news.example/a-page")
    assert got is not None
    assert got.published_at == expected
