"""The last-resort date parser htmldate uses, limited to the languages of news newsmon reads.

htmldate (trafilatura's date finder) falls back to dateparser for a date written in words that
neither the page's metadata nor its patterns caught ("15 августа 2016, 13:43"). Its default
parser detects the language among all 205 of dateparser's locales, and building those costs
about 2 s of CPU in every process that extracts; with the languages below it costs about 0.6 s.
On the evaluation corpus (347 pages) every extracted date is identical either way. A date
written in another language, on a page without a machine-readable date, is not found here;
the article then gets the date its feed or sitemap gave, when there is one.

Even those 38 locales cost about 1.2 CPU s to build in each process (dateparser compiles each
locale's regexes as it tries it), which a crawl of five pages cannot afford and which a worker
pays again on its first page that needs it. So :func:`extract_article` passes the language the
page declares (``<html lang>``; else the language its text looks like) through
:mod:`crawler.extraction.page_language`, and the parser for that page knows only that
language, English, and (for Chinese, Japanese and Korean pages) the other two: a few hundredths
of a second to build. A page in no language of :data:`LANGUAGES` (or none recognised) gets the
parser with every language.
On the corpus every date is identical either way (issue 16).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import htmldate.extractors

from crawler.extraction import page_language

logger = logging.getLogger(__name__)

LANGUAGES = (
    "en", "ru", "uk", "be", "kk", "de", "fr", "es", "it", "pt", "pl", "hu", "cs", "sk", "sl",
    "hr", "sr", "bg", "ro", "nl", "da", "nb", "sv", "fi", "et", "lv", "lt", "el", "tr", "he",
    "ar", "fa", "hi", "zh", "ja", "ko", "vi", "id",
)  # fmt: skip

# htmldate's own settings for its external parser (htmldate 1.11 get_external_parser).
_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}


# Written with the same year-month-day characters: a Japanese page may be read as Chinese.
_CJK = ("zh", "ja", "ko")
# Codes pages declare that dateparser spells differently.
_ALIASES = {"no": "nb"}


def languages_for(hint: str | None) -> tuple[str, ...]:
    """The languages tried for a page declaring ``hint``: all of :data:`LANGUAGES` when it
    declares none of them."""
    hint = _ALIASES.get(hint or "", hint)
    if hint not in LANGUAGES:
        return LANGUAGES
    related = _CJK if hint in _CJK else (hint,)
    return tuple(dict.fromkeys((*related, "en")))


@functools.cache
def date_parser(languages: tuple[str, ...]) -> Any:
    """A dateparser ``DateDataParser`` for ``languages`` with htmldate's settings."""
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=_SETTINGS)


def news_date_parser() -> Any:
    """The parser for :data:`LANGUAGES`, or for the page's language (``page_language``)."""
    return date_parser(languages_for(page_language.current()))


def install() -> bool:
    """Make htmldate use :func:`news_date_parser`; False (and a warning) if this htmldate
    version has no such hook, in which case its own all-language parser is used."""
    if not callable(getattr(htmldate.extractors, "get_external_parser", None)):
        logger.warning("htmldate has no get_external_parser; using its own date parser")
        return False
    htmldate.extractors.get_external_parser = news_date_parser  # type: ignore[assignment]
    return True
