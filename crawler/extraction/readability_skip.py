"""trafilatura's comparison with readability, skipped where readability cannot win it.

After its own extraction, trafilatura runs readability on a copy of the page and takes
readability's text instead only in the cases of ``_prefer_readability`` (trafilatura/external.py).
In its default ("balanced") mode, for an own text that is not empty and has paragraph text and
no more tables than paragraphs, that happens only when readability's text is more than twice
as long as its own. Readability's text is part of the page's text (it removes, moves and
regroups elements, never adds text), so it is never longer than the page's whole text with its
spaces trimmed. Where the own text is at least half as long as that, readability cannot win:
:func:`compare_extraction` then skips it and runs the rest of trafilatura's comparison (the
justext check) as trafilatura does. Elsewhere trafilatura's own function runs.

On the corpus the shortcut applies to 98 of 365 comparisons; readability was 16% of extraction's
CPU (sampled), and all 347 extractions are identical with it (issue 16). The code it copies is
trafilatura 2.3.1's; :func:`install` checks that trafilatura's function is still that one.
"""

from __future__ import annotations

import hashlib
import inspect
import logging

import trafilatura.core
import trafilatura.external
from lxml.etree import _Element, tostring
from lxml.html import HtmlElement
from trafilatura.external import JUSTEXT_OVERRIDE_RATIO, SANITIZED_XPATH, justext_rescue
from trafilatura.settings import Extractor
from trafilatura.utils import trim

logger = logging.getLogger(__name__)
_ORIGINAL = trafilatura.external.compare_extraction
#: SHA-256 of trafilatura 2.3.1's ``compare_extraction`` and ``_prefer_readability`` source:
#: the code whose decisions :func:`compare_extraction` relies on.
_KNOWN_SOURCE = "108aad8b70ee917c72ed91eab8042059a62c62da1c40f1c4dbbbf17de01b1bb2"


def _source_digest() -> str:
    """The digest of the installed trafilatura's comparison ("" when its source is not there to
    read, as in an install without .py files: then the shortcut stays off)."""
    try:
        source = inspect.getsource(_ORIGINAL) + inspect.getsource(
            trafilatura.external._prefer_readability
        )
    except (OSError, TypeError, AttributeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()


def readability_cannot_win(
    raw_tree: HtmlElement, body: _Element, text: str, options: Extractor
) -> bool:
    """Whether ``_prefer_readability`` must answer False, whatever readability extracts."""
    if options.focus != "balanced" or not text:
        return False
    # The "structurally deficient" case compares readability's length with a floor instead.
    if not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    page_text = trim(tostring(raw_tree, method="text", encoding="unicode"))
    return 2 * len(text) >= len(page_text)


def compare_extraction(
    cleaned_tree: HtmlElement,
    raw_tree: HtmlElement,
    body: _Element,
    text: str,
    options: Extractor,
) -> tuple[_Element, str]:
    """trafilatura's ``compare_extraction`` (same signature and answer)."""
    if not readability_cannot_win(raw_tree, body, text, options):
        return _ORIGINAL(cleaned_tree, raw_tree, body, text, options)
    # From here on trafilatura's code, with use_readability False.
    len_text = len(text)
    unclean = bool(body.xpath(SANITIZED_XPATH))
    if unclean or len_text < options.min_extracted_size:
        body2, text2 = justext_rescue(cleaned_tree, options)
        len_text2 = len(text2)
        if unclean:
            accept = len_text <= JUSTEXT_OVERRIDE_RATIO * len_text2 and (
                len_text2 > len_text or not options.images or body.find(".//graphic") is None
            )
        else:
            accept = len_text < len_text2
        if text2 and accept:
            body, text = body2, text2
    return body, text


def install() -> bool:
    """Use :func:`compare_extraction` where trafilatura's core calls it; False (and a warning)
    if trafilatura's comparison is no longer the code this relies on."""
    core = vars(trafilatura.core)  # where its cascade looks the function up, by name
    if _source_digest() != _KNOWN_SOURCE or core.get("compare_extraction") is not _ORIGINAL:
        logger.warning("trafilatura's comparison changed: readability runs on every page")
        return False
    core["compare_extraction"] = compare_extraction
    return True
