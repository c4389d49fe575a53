"""justext's stop words in the page's language, instead of every language's at once.

trafilatura falls back to justext on pages where its own extraction finds little. Without a
target language it gives justext the union of all 100 stop lists (154,484 words), which
justext turns into a fresh frozenset on every call: about 27 MB kept in each worker for the
rest of the crawl and some 20 ms a page (tracemalloc and cProfile over the corpus, issue 16).
trafilatura already knows how to use one language's list; it is only never told the language,
because passing ``target_language`` would also drop pages declaring another one. So
:func:`install` wraps trafilatura's ``try_justext`` to pass the page's language
(:mod:`crawler.extraction.page_language`); a page whose language is unknown still gets the
union. A page in a known language that has no list (Japanese, Chinese,
Thai, Burmese…) skips justext: none of its words are in any list, so with the union every
paragraph's stop-word density is nought and justext keeps nothing (on the corpus, 9 of the 28
pages that reach justext). That is its answer for an empty stop list, given at once.
"""

from __future__ import annotations

import logging
from typing import Any

import trafilatura.external
from lxml.etree import Element
from trafilatura.settings import JUSTEXT_LANGUAGES

from crawler.extraction import page_language

logger = logging.getLogger(__name__)
_ORIGINAL = getattr(trafilatura.external, "try_justext", None)


def try_justext_in_page_language(tree: Any, url: str | None, target_language: str | None) -> Any:
    """trafilatura's ``try_justext`` with the page's language when none was asked for."""
    assert _ORIGINAL is not None
    language = target_language or page_language.current()
    if language is not None and language not in JUSTEXT_LANGUAGES:
        return Element("body")  # what justext keeps when no word is a stop word
    return _ORIGINAL(tree, url, language)


def install() -> bool:
    """Route trafilatura's justext fallback through :func:`try_justext_in_page_language`;
    False (and a warning) if this trafilatura has no such function, in which case justext
    gets every language's stop words, as before."""
    if not callable(_ORIGINAL):
        logger.warning("trafilatura has no try_justext; justext uses every stop list")
        return False
    trafilatura.external.try_justext = try_justext_in_page_language
    return True
