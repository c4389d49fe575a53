"""Large allocations of the crawl process go straight back to the system when freed."""

from __future__ import annotations

import ctypes
import functools

# glibc's mallopt parameter (malloc.h).
_M_MMAP_THRESHOLD = -3

#: Blocks at least this big get their own mapping, unmapped when freed.
MMAP_THRESHOLD = 64 * 1024


@functools.cache
def unmap_large_allocations(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; False where there is no glibc.

    glibc raises the threshold each time a mapped block is freed (up to 32 MB), after which
    page bodies (300 kB on average) come from the heap, whose freed pieces stay resident
    between the pages of other sizes. On the corpus crawl this kept the crawl process's peak
    about 25 MB higher (issue 16). The cost is one mmap/munmap pair per body.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
