"""Article extraction: decoding, trafilatura, and a process pool that uses every core.

    from crawler.extraction import Extracted, extract_article, ExtractionPool

``extract_article`` is imported on first use: the crawl process itself only needs the pool and
the result type, and keeping trafilatura (and lxml, dateparser) out of it saves start-up time
and memory; the worker processes import it. The pool (and multiprocessing with it) is imported
on first use too: a crawl that finds nothing new never starts one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.extraction.result import Extracted

if TYPE_CHECKING:
    from crawler.extraction.extract import extract_article
    from crawler.extraction.pool import ExtractionPool

__all__ = ["Extracted", "ExtractionPool", "extract_article"]


def __getattr__(name: str) -> Any:
    if name == "extract_article":
        from crawler.extraction.extract import extract_article

        return extract_article
    if name == "ExtractionPool":
        from crawler.extraction.pool import ExtractionPool

        return ExtractionPool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
