"""Duplicate detection: canonical URL, exact hash of normalized text, near-duplicate MinHash.

Signatures are datasketch MinHashes over hashed word shingles, stored per article in
``articles.minhash`` (``num_perm`` little-endian uint32). The index lives in the database, so
a check costs the same with a million stored articles as with none, and a second process sees
an article the moment its transaction commits:

- the URL check is a lookup in ``url_keys`` (normalized URL and canonical URL, unique);
- the exact check is a lookup of ``articles.text_hash`` (indexed);
- the near check looks up the signature's LSH band keys in ``dedup_bands`` (one row per band
  of every stored signature, written in the storing transaction) and compares the full
  signatures of the few candidates that share a band.

The signatures and the band layout (b, r) are datasketch's, computed in numpy (tests compare
them with datasketch's own), because importing datasketch loads SciPy: 0.5 s and 40 MB in
every process that signs or checks. A band key folds the band's r values, the band's number
and the layout, so a database keeps working (with older articles outside the near check, as
after a change of ``num_perm``) when ``near_threshold`` changes the layout.

A duplicate points at its cluster's original (the first article of the story), which is the
cluster id: originals get ``cluster_id`` = their own id when stored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

# The defaults are storage.dedup_defaults' (re-exported here). Signing lives in
# storage.signature (imported by the extraction workers, which need no SQLAlchemy); its names
# stay importable from here.
from storage.dedup_defaults import (
    DEFAULT_NEAR_THRESHOLD,
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE_WORDS,
)
from storage.models import Article, DedupBand, UrlKey
from storage.signature import (  # noqa: F401
    SIG_DTYPE,
    SigArray,
    Signer,
    U64Array,
    minhash_values,
    normalize_text,
    text_hash,
    word_hashes,
)

# At most this many near-duplicate candidates are compared for one article (a band shared by
# very many stored texts, e.g. boilerplate, must not make one check read thousands of rows);
# the newest are kept, since syndicated copies follow their original within days.
MAX_CANDIDATES = 2000
# Every writer of articles takes this PostgreSQL advisory lock for its dedup check and insert,
# so that two processes storing copies of one story at the same moment fold them into one
# (SQLite serializes writers with BEGIN IMMEDIATE already). An arbitrary constant: "newsmon".
ARCHIVE_LOCK_KEY = 0x6E6577736D6F6E

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


def lock_archive(session: Session) -> None:
    """Serialize this transaction's dedup check and insert with every other writer's.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback (or when a
    killed worker's connection drops). SQLite: nothing to do, a write transaction begun
    IMMEDIATE already holds the database's only write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ARCHIVE_LOCK_KEY})


_BY_URL = (
    select(Article.id, Article.cluster_id)
    .join(UrlKey, UrlKey.article_id == Article.id)
    .where(UrlKey.key == bindparam("key"))
)
_BY_HASH = (
    select(Article.id, Article.cluster_id)
    .where(Article.text_hash == bindparam("digest"))
    .order_by(Article.id)
    .limit(1)
)
_CANDIDATES = (
    select(Article.id, Article.cluster_id, Article.minhash)
    .where(
        Article.id.in_(
            select(DedupBand.article_id)
            .where(DedupBand.key.in_(bindparam("keys", expanding=True)))
            .order_by(DedupBand.article_id.desc())
            .limit(MAX_CANDIDATES)
            .scalar_subquery()
        )
    )
    .order_by(Article.id)
)


class DedupIndex:
    """Duplicate checks against the stored archive, by indexed lookups; see the module doc."""

    def __init__(
        self,
        near_threshold: float = DEFAULT_NEAR_THRESHOLD,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle_words: int = DEFAULT_SHINGLE_WORDS,
    ) -> None:
        self.layout = BandLayout(near_threshold, num_perm)
        self.near_threshold = near_threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._signer = Signer(num_perm, shingle_words)

    def band_keys(self, minhash: bytes | None) -> list[int]:
        """What to store in ``dedup_bands`` for a signature."""
        return self.layout.keys(minhash)

    def check(
        self,
        session: Session,
        canonical_url: str,
        text: str,
        *,
        signed: tuple[str, bytes] | None = None,
    ) -> DedupDecision:
        """Is this article a copy of a stored one? URL, then exact, then near.

        ``signed`` is ``Signer.sign(text)`` computed elsewhere (in a worker process, say)
        with this index's ``num_perm`` and ``shingle_words``; without it the text is signed here.
        Run it in the transaction that stores the article, after :func:`lock_archive`.
        """
        digest, blob = signed if signed is not None else self._signer.sign(text)
        sig: SigArray | None = None
        if blob:
            sig = np.frombuffer(blob, dtype=SIG_DTYPE).astype(np.uint32)
            if sig.shape[0] != self.num_perm:
                raise ValueError(f"signature has {sig.shape[0]} values, index uses {self.num_perm}")

        def dup(kind: str, row: tuple[int, int | None], similarity: float | None) -> DedupDecision:
            cluster = row[1] if row[1] is not None else row[0]
            return DedupDecision(kind, cluster, cluster, digest, blob, similarity)

        conn = session.connection()
        hit = conn.execute(_BY_URL, {"key": canonical_url}).first()
        if hit is not None:
            return dup("url", (hit[0], hit[1]), None)
        if sig is None:
            return DedupDecision(None, None, None, digest, blob, None)
        hit = conn.execute(_BY_HASH, {"digest": digest}).first()
        if hit is not None:
            return dup("exact", (hit[0], hit[1]), 1.0)
        near = self._nearest(conn, sig)
        if near is not None:
            return dup("near", (near[0], near[1]), near[2])
        return DedupDecision(None, None, None, digest, blob, None)

    def _nearest(self, conn: Any, sig: SigArray) -> tuple[int, int, float] | None:
        keys = self.layout.keys_of(sig.reshape(1, -1))[0].view(np.int64).tolist()
        rows = conn.execute(_CANDIDATES, {"keys": sorted(set(keys))}).all()
        width = self.num_perm * SIG_DTYPE.itemsize
        usable = [(i, c if c is not None else i, b) for i, c, b in rows if b and len(b) == width]
        if not usable:
            return None
        sigs = np.frombuffer(b"".join(bytes(b) for _, _, b in usable), dtype=SIG_DTYPE)
        sims = (sigs.reshape(len(usable), self.num_perm) == sig).mean(axis=1)
        clusters = np.fromiter((c for _, c, _ in usable), dtype=np.int64, count=len(usable))
        # Best match; among equals the oldest cluster (the lowest id) wins.
        best = int(np.lexsort((clusters, -sims))[0])
        if sims[best] < self.near_threshold:
            return None
        return usable[best][0], int(clusters[best]), float(sims[best])
