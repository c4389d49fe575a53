"""Article extraction: decoding, trafilatura, and a process pool that uses every core.

    from crawler.extraction import Extracted, extract_article, ExtractionPool

``extract_article`` is imported on first use: the crawl process itself only needs the pool and
the result type, and keeping trafilatura (and lxml, dateparser) out of it saves start-up time
and memory; the worker processes import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.extraction.pool import ExtractionPool
from crawler.extraction.result import Extracted

if TYPE_CHECKING:
    from crawler.extraction.extract import extract_article

__all__ = ["Extracted", "ExtractionPool", "extract_article"]


def __getattr__(name: str) -> Any:
    if name == "extract_article":
        from crawler.extraction.extract import extract_article

        return extract_article
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
