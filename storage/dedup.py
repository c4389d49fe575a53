"""Duplicate detection: canonical URL, exact hash of normalized text, near-duplicate MinHash.

Signatures are datasketch MinHashes over hashed word shingles, stored per article in
``articles.minhash`` (``num_perm`` little-endian uint32). :meth:`DedupIndex.load` rebuilds the
index from the database, so detection works across runs. The LSH banding is done with numpy
over the whole signature matrix at once (one sort per band) instead of datasketch's
per-key dict inserts: for 20,000 stored signatures that is about 0.1 s instead of about 2.7 s
(measured with tests/storage/bench_dedup.py and a datasketch MinHashLSH insertion session).
The signatures and the band layout (b, r) are datasketch's, computed in numpy (tests compare
them with datasketch's own), because importing datasketch loads SciPy: 0.5 s and 40 MB in
every process that signs or checks.

A duplicate points at its cluster's original (the first article of the story), which is the
cluster id: originals get ``cluster_id`` = their own id when stored.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article

SIG_DTYPE = np.dtype("<u4")
# Signatures are datasketch's MinHash with its default "affine32" scheme and seed 1, computed
# here in numpy (tests check they are identical to datasketch's): importing datasketch loads
# SciPy, about 0.5 s and 40 MB in every process that signs.
_SEED = 1
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_MAX32 = np.uint32(0xFFFFFFFF)
_CHUNK = 4096  # shingles permuted at once: bounds the (shingles x num_perm) matrix to ~2 MB
_NON_WORD = re.compile(r"[\W_]+")
# Pending additions are merged into the sorted band arrays once there are this many.
_MERGE_EVERY = 2048

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]
SigArray = npt.NDArray[np.uint32]
U32Array = npt.NDArray[np.uint32]


def normalize_text(text: str) -> str:
    """Case-folded NFKC text with punctuation removed and whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def text_hash(text: str) -> str:
    """sha256 (hex) of :func:`normalize_text` — equal for texts that differ in markup only."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


# Fixed odd multipliers, one per position in a shingle: the shingle hash depends on word order.
_POSITION_MIX: U64Array = np.random.default_rng(0x5348494E474C45).integers(
    1, 2**63, size=64, dtype=np.uint64
) | np.uint64(1)
# Word hashes are memoised per index (news vocabulary repeats); the memo is dropped when full.
_WORD_MEMO_LIMIT = 50_000  # about 10 MB


def word_hashes(words: list[str], memo: dict[str, int] | None = None) -> U64Array:
    """Stable 64-bit hashes (blake2b) of ``words``, each distinct word hashed once."""
    memo = {} if memo is None else memo
    distinct = set(words)
    if len(memo) + len(distinct) > _WORD_MEMO_LIMIT:
        memo.clear()  # before computing what is missing, so no needed word is dropped
    missing = [w for w in distinct if w not in memo]
    if missing:
        digests = b"".join(
            hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest() for w in missing
        )
        memo.update(zip(missing, np.frombuffer(digests, dtype="<u8").tolist(), strict=True))
    return np.fromiter((memo[w] for w in words), dtype=np.uint64, count=len(words))


def shingle_hashes(normalized: str, k: int, memo: dict[str, int] | None = None) -> U32Array:
    """32-bit hashes of the word ``k``-grams of already-normalized text (one if shorter).

    A shingle's hash is an order-sensitive mix of its words' hashes, computed for all
    shingles at once: hashing every shingle string separately was the hot loop of dedup.
    """
    words = normalized.split()
    if not words:
        return np.empty(0, dtype=np.uint32)
    word_h = word_hashes(words, memo)
    width = min(k, len(words))
    count = len(words) - width + 1
    mixed = np.zeros(count, dtype=np.uint64)
    for j in range(width):
        mixed += word_h[j : j + count] * _POSITION_MIX[j % _POSITION_MIX.size]
    mixed ^= mixed >> np.uint64(29)
    return (mixed >> np.uint64(32)).astype(np.uint32)


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int = _SEED) -> tuple[SigArray, SigArray]:
    """datasketch's affine32 permutations ``h -> a*h + b mod 2**32`` (odd ``a``)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: U32Array) -> U32Array:
    """MurmurHash3's 32-bit finalizer, which datasketch applies before permuting."""
    s1, m1, s2, m2 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s1)


def minhash_values(hashes: U32Array, num_perm: int) -> SigArray:
    """The MinHash signature of a set of 32-bit hashes: what datasketch's
    ``MinHash(num_perm, seed=1, scheme="affine32", hashfunc=identity).update_batch(hashes)``
    holds in ``hashvalues`` (all ``2**32 - 1`` for no hashes)."""
    a, b = _permutations(num_perm)
    out = np.full(num_perm, _MAX32, dtype=np.uint32)
    mixed = _fmix32(np.asarray(hashes, dtype=np.uint32))
    for start in range(0, mixed.size, _CHUNK):
        chunk = mixed[start : start + _CHUNK, None]
        np.minimum(out, (chunk * a + b).min(axis=0), out=out)
    return out


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


class Signer:
    """Text hash and MinHash signature of a text: a pure function of the text and parameters.

    Kept apart from :class:`DedupIndex` so that worker processes can sign texts (the costly
    part of a dedup check) while the index, in the crawl process, only compares.
    """

    def __init__(self, num_perm: int = 128, shingle_words: int = 5) -> None:
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._word_memo: dict[str, int] = {}

    def signature(self, normalized: str) -> SigArray:
        """The MinHash values of already-normalized text."""
        hashes = shingle_hashes(normalized, self.shingle_words, self._word_memo)
        return minhash_values(hashes, self.num_perm)

    def sign(self, text: str) -> tuple[str, bytes]:
        """``(text_hash, minhash)``: the sha256 hex of the normalized text and the signature
        as ``num_perm`` little-endian uint32 (empty for a text with no words)."""
        normalized = normalize_text(text)
        digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        if not normalized:
            return digest, b""
        return digest, self.signature(normalized).astype(SIG_DTYPE).tobytes()


@dataclass(frozen=True)
class DedupDecision:
    """What :meth:`DedupIndex.check` found for one article.

    ``kind`` is ``"url"``, ``"exact"``, ``"near"`` or None (an original); ``duplicate_of``
    and ``cluster_id`` name the original for duplicates. ``minhash`` is the signature to
    store (empty for an empty text); ``similarity`` is the estimated Jaccard for near
    duplicates and 1.0 for exact ones.
    """

    kind: str | None
    duplicate_of: int | None
    cluster_id: int | None
    text_hash: str
    minhash: bytes
    similarity: float | None


class DedupIndex:
    """In-memory duplicate index over every stored article; see the module docstring."""

    def __init__(
        self, near_threshold: float = 0.8, num_perm: int = 128, shingle_words: int = 5
    ) -> None:
        if not 0.0 < near_threshold <= 1.0:
            raise ValueError(f"near_threshold must be in (0, 1], got {near_threshold}")
        self.near_threshold = near_threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._bands, self._rows = _band_layout(near_threshold, num_perm)
        self._signer = Signer(num_perm, shingle_words)
        # Fixed odd multipliers fold the r values of a band into one 64-bit key.
        mix = np.random.default_rng(0x6E6577736D6F6E).integers(1, 2**63, size=self._rows)
        self._mix: U64Array = mix.astype(np.uint64) | np.uint64(1)
        self._by_url: dict[str, int] = {}
        self._by_hash: dict[str, int] = {}
        self._sigs: SigArray = np.empty((0, num_perm), dtype=np.uint32)
        self._clusters: I64Array = np.empty(0, dtype=np.int64)
        self._order: I64Array = np.empty((self._bands, 0), dtype=np.int64)
        self._sorted: U64Array = np.empty((self._bands, 0), dtype=np.uint64)
        # Articles added during a run wait in fixed-size buffers (scanned linearly, cheap at
        # this size) until they are merged into the sorted arrays.
        self._pending, self._capacity = 0, _MERGE_EVERY
        self._pending_sigs: SigArray = np.empty((self._capacity, num_perm), dtype=np.uint32)
        self._pending_keys: U64Array = np.empty((self._bands, self._capacity), dtype=np.uint64)
        self._pending_clusters: I64Array = np.empty(self._capacity, dtype=np.int64)

    def __len__(self) -> int:
        """Number of signatures in the near-duplicate index."""
        return int(self._sigs.shape[0]) + self._pending

    @classmethod
    def load(
        cls,
        session: Session,
        near_threshold: float = 0.8,
        num_perm: int = 128,
        shingle_words: int = 5,
    ) -> DedupIndex:
        """Build the index from every stored article (streamed; signatures decoded in bulk)."""
        index = cls(near_threshold, num_perm, shingle_words)
        width = num_perm * SIG_DTYPE.itemsize
        blobs: list[bytes] = []
        clusters: list[int] = []
        cols = Article.__table__.c
        stmt = select(
            cols.id, cols.cluster_id, cols.canonical_url, cols.text_hash, cols.minhash
        ).order_by(cols.id)
        # Core rows, not ORM ones: this runs over every stored article at every crawl start.
        rows = session.connection().execute(stmt.execution_options(yield_per=5000))
        for art_id, cluster, canonical, thash, blob in rows:
            cluster_id = cluster if cluster is not None else art_id
            index._by_url.setdefault(canonical, cluster_id)
            index._by_hash.setdefault(thash, cluster_id)
            if blob is not None and len(blob) == width:
                blobs.append(bytes(blob))
                clusters.append(cluster_id)
        if blobs:
            sigs = np.frombuffer(b"".join(blobs), dtype=SIG_DTYPE).reshape(len(blobs), num_perm)
            index._rebuild(sigs.astype(np.uint32), np.asarray(clusters, dtype=np.int64))
        return index

    # -- signatures and bands -------------------------------------------------------------

    def signature(self, normalized: str) -> SigArray:
        """The MinHash values of already-normalized text."""
        return self._signer.signature(normalized)

    def _band_keys(self, sigs: SigArray) -> U64Array:
        """(bands, n) 64-bit keys, one per band of each signature."""
        n = sigs.shape[0]
        used = sigs[:, : self._bands * self._rows].astype(np.uint64)
        folded = (used.reshape(n, self._bands, self._rows) * self._mix).sum(axis=2, dtype=np.uint64)
        folded ^= folded >> np.uint64(31)
        return np.ascontiguousarray(folded.T)

    def _rebuild(self, sigs: SigArray, clusters: I64Array) -> None:
        keys = self._band_keys(sigs)
        order = np.argsort(keys, axis=1, kind="stable")
        self._sigs, self._clusters = sigs, clusters
        self._order = order.astype(np.int64)
        self._sorted = np.take_along_axis(keys, order, axis=1)

    def _merge_pending(self) -> None:
        m = self._pending
        sigs = np.vstack([self._sigs, self._pending_sigs[:m]])
        clusters = np.concatenate([self._clusters, self._pending_clusters[:m]])
        self._pending = 0
        self._rebuild(sigs, clusters)

    def _candidates(self, sig: SigArray) -> tuple[SigArray, I64Array]:
        """Signatures and clusters sharing at least one band with ``sig``."""
        q = self._band_keys(sig.reshape(1, -1))[:, 0]
        parts: list[I64Array] = []
        for band in range(self._bands):
            row = self._sorted[band]
            lo, hi = np.searchsorted(row, q[band], "left"), np.searchsorted(row, q[band], "right")
            if hi > lo:
                parts.append(self._order[band, lo:hi])
        rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        sigs, clusters = self._sigs[rows], self._clusters[rows]
        m = self._pending
        if m:
            hit = (self._pending_keys[:, :m] == q[:, None]).any(axis=0)
            if hit.any():
                sigs = np.vstack([sigs, self._pending_sigs[:m][hit]])
                clusters = np.concatenate([clusters, self._pending_clusters[:m][hit]])
        return sigs, clusters

    # -- the interface ---------------------------------------------------------------------

    def check(
        self, canonical_url: str, text: str, *, signed: tuple[str, bytes] | None = None
    ) -> DedupDecision:
        """Is this article a copy of a stored (or added) one? URL, then exact, then near.

        ``signed`` is ``Signer.sign(text)`` computed elsewhere (in a worker process, say)
        with this index's ``num_perm`` and ``shingle_words``; without it the text is signed here.
        """
        digest, blob = signed if signed is not None else self._signer.sign(text)
        sig: SigArray | None = None
        if blob:
            sig = np.frombuffer(blob, dtype=SIG_DTYPE).astype(np.uint32)
            if sig.shape[0] != self.num_perm:
                raise ValueError(f"signature has {sig.shape[0]} values, index uses {self.num_perm}")

        def dup(kind: str, cluster: int, similarity: float | None) -> DedupDecision:
            return DedupDecision(kind, cluster, cluster, digest, blob, similarity)

        if canonical_url in self._by_url:
            return dup("url", self._by_url[canonical_url], None)
        if sig is None:
            return DedupDecision(None, None, None, digest, blob, None)
        if digest in self._by_hash:
            return dup("exact", self._by_hash[digest], 1.0)
        sigs, clusters = self._candidates(sig)
        if clusters.size:
            sims = (sigs == sig).mean(axis=1)
            # Best match; among equals the oldest cluster (the lowest id) wins.
            best = int(np.lexsort((clusters, -sims))[0])
            if sims[best] >= self.near_threshold:
                return dup("near", int(clusters[best]), float(sims[best]))
        return DedupDecision(None, None, None, digest, blob, None)

    def add(
        self, article_id: int, cluster_id: int, canonical_url: str, decision: DedupDecision
    ) -> None:
        """Register a stored article so that later checks in this run see it."""
        self._by_url.setdefault(canonical_url, cluster_id)
        if decision.minhash:
            self._by_hash.setdefault(decision.text_hash, cluster_id)
            sig = np.frombuffer(decision.minhash, dtype=SIG_DTYPE).astype(np.uint32)
            if sig.shape[0] == self.num_perm:
                if self._pending == self._capacity:
                    self._merge_pending()
                m = self._pending
                self._pending_sigs[m] = sig
                self._pending_keys[:, m] = self._band_keys(sig.reshape(1, -1))[:, 0]
                self._pending_clusters[m] = cluster_id
                self._pending = m + 1
