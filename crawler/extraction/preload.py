"""Imported by the forkserver process only: importing it warms the extraction code once.

ExtractionPool asks the forkserver to preload this module, so every worker is forked from a
process that has already imported trafilatura and built dateparser's all-locale parser (several
seconds of regex compilation that would otherwise be paid by each worker, on its first page
whose date only dateparser can read). The import-time side effect is this module's only purpose.
"""

from __future__ import annotations

from crawler.extraction.warmup import warm

warm()
