"""Imported by the forkserver process last, after everything it preloads: freezes the heap.

``gc.freeze()`` moves every object the forkserver has created so far (trafilatura, dateparser's
locale parsers, justext's stoplists, the relevance code) into a permanent generation that the
garbage collector never walks. Without it, each worker's first full collection writes to the
header of every one of those objects and so copies their memory pages out of the shared
copy-on-write pages: measured on the corpus crawl, tens of MB per worker.
"""

from __future__ import annotations

import gc

gc.collect()
gc.freeze()
