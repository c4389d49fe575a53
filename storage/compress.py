"""Raw pages as the archive keeps them: gzip, written by ISA-L's igzip (python-isal).

Raw pages are archived for re-extraction, not served, so the cheapest compression that still
shrinks them wins. igzip at level 1 writes standard gzip (``gzip.decompress`` and every other
reader read it) about four times faster than zlib at level 1, and a little smaller: on the
corpus 0.50 ms a page against 2.08 ms, 4.41 times smaller against 4.34 (issue 16). Pages are
compressed in the extraction workers, so this is worker CPU a crawl no longer spends.
"""

from __future__ import annotations

from isal import igzip

#: igzip's levels are 0-3; 1 measured as fast as 0 and smaller.
RAW_GZIP_LEVEL = 1


def gzip_raw(body: bytes, level: int = RAW_GZIP_LEVEL) -> bytes:
    """``body`` gzip'd (no timestamp: the same page gives the same bytes)."""
    return igzip.compress(body, compresslevel=level, mtime=0)
