"""Article extraction: decoding, trafilatura, and a process pool that uses every core.

from crawler.extraction import Extracted, extract_article, ExtractionPool
"""

from __future__ import annotations

from crawler.extraction.extract import Extracted, extract_article
from crawler.extraction.pool import ExtractionPool

__all__ = ["Extracted", "ExtractionPool", "extract_article"]
