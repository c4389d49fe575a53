"""Imported by the extraction forkserver only: compiles the bundled lexicon's patterns once.

Every worker forked from the forkserver then loads a model trained with the bundled lexicon
without compiling them again (``lexicon._compiled`` is a cache): one 0.1 s compilation a crawl
instead of one per worker (issue 16). A model with another lexicon compiles its own patterns
on its first page, as before.
"""

from __future__ import annotations

from crawler.relevance.lexicon import bundled_lexicon

bundled_lexicon()
