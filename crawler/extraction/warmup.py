"""Pay the extraction code's one-time costs (imports, lazily built parsers) up front."""

from __future__ import annotations

from htmldate.extractors import get_external_parser

from crawler.extraction.extract import extract_article

_WARM_PAGE = (
    b"<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
    + b"<p>This paragraph only loads the extraction code and its data once per worker.</p>" * 8
    + b"</article></body></html>"
)


def warm() -> None:
    """Import trafilatura, run it once, and build htmldate's dateparser (all locales)."""
    extract_article(_WARM_PAGE, "http://localhost/warm-up")
    # A string no parser understands makes dateparser load and compile every locale now.
    get_external_parser().get_date_data("warm 12 up 2016")
