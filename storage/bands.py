"""The LSH band layout of MinHash signatures and their band keys (what ``dedup_bands`` holds).

Computed in numpy, so it runs where the signatures are made: in the extraction workers during a
crawl (``crawler/extraction/tasks.py``), in the migration that indexes an older archive, and in
:class:`storage.dedup.DedupIndex` only when it is handed a text it must sign itself. The crawl
process then never imports numpy (0.12 s and 16 MB of its memory, issue 16).

The layout (b, r) is datasketch's; a band key folds the band's r values, the band's number and
the layout, so a database keeps working (with older articles outside the near check, as after a
change of ``num_perm``) when ``near_threshold`` changes the layout.
"""

from __future__ import annotations

import functools

import numpy as np

from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM
from storage.signature import SIG_DTYPE, SigArray, U64Array

# False negatives are weighted far above false positives: every LSH candidate is checked
# against the full signature anyway, so a false candidate costs one vector compare, while a
# missed one is a story mailed twice. With equal weights (datasketch's default) a pair at
# Jaccard 0.85 is missed about 30% of the time at threshold 0.8; with these, under 1%.
LSH_WEIGHTS = (0.05, 0.95)


@functools.lru_cache(maxsize=16)
def _band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising the weighted false positive and negative rates.

    The same search as datasketch's ``MinHashLSH`` (a test checks they agree), with the
    integrals done by Gauss-Legendre quadrature in numpy instead of SciPy: the crawl process
    then never imports SciPy (about 0.4 s and 40 MB). The integrands are polynomials of degree
    ``b * r <= num_perm``, which ``num_perm // 2 + 1`` nodes integrate exactly.
    """
    nodes, weights = np.polynomial.legendre.leggauss(max(num_perm // 2 + 1, 32))

    def integral(lo: float, hi: float, b: int, r: int, negative: bool) -> float:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        collide = 1 - (1 - s ** float(r)) ** float(b)
        values = 1 - collide if negative else collide
        return float((hi - lo) / 2 * np.dot(weights, values))

    best, layout = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = integral(0.0, threshold, b, r, negative=False)
            fn = integral(threshold, 1.0, b, r, negative=True)
            error = fp * LSH_WEIGHTS[0] + fn * LSH_WEIGHTS[1]
            if error < best:
                best, layout = error, (b, r)
    return layout


class BandLayout:
    """The LSH bands of a signature as signed 64-bit keys (what ``dedup_bands`` stores)."""

    def __init__(
        self, near_threshold: float = DEFAULT_NEAR_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM
    ) -> None:
        if not 0.0 < near_threshold <= 1.0:
            raise ValueError(f"near_threshold must be in (0, 1], got {near_threshold}")
        self.num_perm = num_perm
        self.bands, self.rows = _band_layout(near_threshold, num_perm)
        # Fixed odd multipliers fold the r values of a band into one 64-bit key; the salt
        # makes the key depend on the band's number and on the layout.
        rng = np.random.default_rng([0x6E6577736D6F6E, self.bands, self.rows, num_perm])
        mix = rng.integers(1, 2**63, size=self.rows)
        self._mix: U64Array = mix.astype(np.uint64) | np.uint64(1)
        self._salt: U64Array = rng.integers(1, 2**63, size=self.bands).astype(np.uint64)

    def keys_of(self, sigs: SigArray) -> U64Array:
        """(n, bands) unsigned keys of ``n`` signatures."""
        n = sigs.shape[0]
        used = sigs[:, : self.bands * self.rows].astype(np.uint64)
        folded: U64Array = (used.reshape(n, self.bands, self.rows) * self._mix).sum(
            axis=2, dtype=np.uint64
        )
        folded += self._salt
        folded ^= folded >> np.uint64(31)
        return folded

    def keys(self, minhash: bytes | None) -> list[int]:
        """The band keys of one stored signature (empty when it has another width)."""
        if not minhash or len(minhash) != self.num_perm * SIG_DTYPE.itemsize:
            return []
        sig = np.frombuffer(minhash, dtype=SIG_DTYPE).astype(np.uint32).reshape(1, -1)
        return sorted(set(self.keys_of(sig)[0].view(np.int64).tolist()))
