"""Pay the extraction code's one-time costs that every page needs (imports, a first parse)."""

from __future__ import annotations

from crawler.extraction.extract import extract_article

_WARM_PAGE = (
    b"<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
    + b"<p>This paragraph only loads the extraction code and its data once per worker.</p>" * 8
    + b"</article></body></html>"
)
# Set in the forkserver by its warm-up and inherited by every worker forked from it, whose own
# call (the pool's initializer) then has nothing left to do.
_warmed = False


def warm() -> None:
    """Import trafilatura and run it once.

    What only some pages need is left to the first page that needs it (issue 16): dateparser's
    locales (about 1.2 CPU s to build; on the corpus 4 pages of 347 have a date only dateparser
    reads) and justext's stop list (trafilatura's fallback for pages where its own extraction
    finds little; the page's language's list, see stoplist.py). Built here, in the forkserver,
    they were most of its warm-up, paid by every crawl, including an hourly one that extracts
    five pages.
    """
    global _warmed
    if not _warmed:
        extract_article(_WARM_PAGE, "http://localhost/warm-up")
        _warmed = True
