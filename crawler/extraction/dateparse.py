"""The last-resort date parser htmldate uses, limited to the languages of news newsmon reads.

htmldate (trafilatura's date finder) falls back to dateparser for a date written in words that
neither the page's metadata nor its patterns caught ("15 августа 2016, 13:43"). Its default
parser detects the language among all 205 of dateparser's locales, and building those costs
about 2 s of CPU in every process that extracts; with the languages below it costs about 0.6 s.
On the evaluation corpus (347 pages) every extracted date is identical either way. A date
written in another language, on a page without a machine-readable date, is not found here;
the article then gets the date its feed or sitemap gave, when there is one.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import htmldate.extractors

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


@functools.cache
def news_date_parser() -> Any:
    """A dateparser ``DateDataParser`` for :data:`LANGUAGES` with htmldate's settings."""
    from dateparser import DateDataParser

    return DateDataParser(languages=list(LANGUAGES), settings=_SETTINGS)


def install() -> bool:
    """Make htmldate use :func:`news_date_parser`; False (and a warning) if this htmldate
    version has no such hook, in which case its own all-language parser is used."""
    if not callable(getattr(htmldate.extractors, "get_external_parser", None)):
        logger.warning("htmldate has no get_external_parser; using its own date parser")
        return False
    htmldate.extractors.get_external_parser = news_date_parser
    return True
