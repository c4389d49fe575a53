"""Imported by the forkserver process only: importing it warms the extraction code once.

ExtractionPool asks the forkserver to preload this module, so every worker is forked from a
process that has already imported trafilatura and parsed a first page (see warmup.py for what
is left to the first page that needs it). The import-time side effect is this module's only
purpose.
"""

from __future__ import annotations

from crawler.extraction.warmup import warm

warm()
