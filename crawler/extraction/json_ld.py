"""trafilatura's JSON-LD metadata, without its quadratic fallback on valid JSON.

trafilatura's ``extract_meta_json`` normalizes each JSON-LD block's text *before* parsing it:
``normalize_json`` turns escapes such as ``\\u0022`` into raw quotes, which breaks valid JSON
that contains them. A block that fails to parse goes to ``extract_json_parse_error``, whose
regular expressions (``"author"[^}[]+?"names?".+?`` and the like, over the whole block) are
quadratic in its size. On the corpus one live blog's 840 kB of valid JSON-LD cost 1.96 s of
CPU there: 5.6 ms a page averaged over the corpus, the largest single cost of metadata
(issue 16).

:func:`install` replaces ``extract_meta_json`` with :func:`extract_meta_json`, which runs
trafilatura's own code on every block up to :data:`CRUDE_SEARCH_CHARS` characters, so it answers
the same there. A larger block that fails trafilatura's parse:

- if it parses before normalizing, is read as JSON, its strings normalized one by one
  (entities, tags, spaces), for trafilatura's ``extract_json``;
- otherwise still gets trafilatura's regular expressions, over its first
  :data:`CRUDE_SEARCH_CHARS` characters, so no block can cost seconds (15 ms at most here).

Small broken blocks keep the regular expressions even where the JSON reading would find
more: on the corpus that reading named a publisher as the author of two pages, which the
regular expressions leave empty. The corpus's extractions are all identical with the hook.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from html import unescape
from typing import Any

import trafilatura.json_metadata
import trafilatura.metadata
from trafilatura.json_metadata import JSON_UNICODE_REPLACE, extract_json, extract_json_parse_error
from trafilatura.settings import Document
from trafilatura.utils import HTML_STRIP_TAGS, trim

logger = logging.getLogger(__name__)

# The blocks trafilatura reads (its own XPath, from trafilatura/metadata.py).
_BLOCKS = './/script[@type="application/ld+json" or @type="application/settings+json"]'
#: The largest block given to trafilatura's regular expressions whole (the cost of its parse
#: error fallback: 5 ms at 20 kB, 15 ms at 50 kB, 43 ms at 100 kB, 1.96 s at 840 kB). The
#: corpus's other broken blocks are at most 14 kB; an article's author and publisher come first.
CRUDE_SEARCH_CHARS = 50_000


# UTF-16 surrogates, which a ``\\ud83d`` escape decodes to and no UTF-8 text may hold.
_SURROGATES = re.compile("[\ud800-\udfff]")


def normalize_json(string: str) -> str:
    """trafilatura's ``normalize_json``, the same answer, with the surrogates dropped by one
    regular expression instead of a generator over every character of the block: on the corpus
    that generator was a third of reading JSON-LD (0.4 of 1.4 CPU s for 347 pages)."""
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = _SURROGATES.sub("", string)
        string = unescape(string)
    return trim(HTML_STRIP_TAGS.sub("", string))


def _normalized(value: Any) -> Any:
    """``value`` with every string cleaned as trafilatura's ``normalize_json`` cleans a block's
    text (entities unescaped, tags stripped, spaces trimmed); escapes were decoded by parsing."""
    if isinstance(value, str):
        return trim(HTML_STRIP_TAGS.sub("", unescape(value)))
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    return value


def extract_meta_json(tree: Any, metadata: Document) -> Document:
    """trafilatura's ``extract_meta_json`` (same signature and answer where its parse works)."""
    minify = trafilatura.metadata.JSON_MINIFY
    for elem in tree.xpath(_BLOCKS):
        if not elem.text:
            continue
        minified = minify.sub(r"\1", elem.text)
        element_text = normalize_json(minified)
        try:
            schema = json.loads(element_text, strict=False)
        except json.JSONDecodeError:
            schema = None
            if len(element_text) > CRUDE_SEARCH_CHARS:
                with contextlib.suppress(json.JSONDecodeError):
                    schema = _normalized(json.loads(minified, strict=False))
            if schema is None:
                crude = element_text[:CRUDE_SEARCH_CHARS]
                metadata = extract_json_parse_error(crude, metadata)
                continue
        metadata = extract_json(schema, metadata)
    return metadata


def install() -> bool:
    """Use :func:`extract_meta_json`; False (and a warning) if this trafilatura no longer has
    the functions it replaces or uses, in which case trafilatura's own code runs."""
    needed = (
        callable(getattr(trafilatura.metadata, "extract_meta_json", None))
        and hasattr(trafilatura.metadata, "JSON_MINIFY")
        and callable(getattr(trafilatura.json_metadata, "extract_json", None))
    )
    if not needed:
        logger.warning("trafilatura.metadata changed; its own JSON-LD reading is used")
        return False
    trafilatura.metadata.extract_meta_json = extract_meta_json  # type: ignore[assignment]
    return True
