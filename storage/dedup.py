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

The signatures (``storage.signature``) and the band layout (``storage.bands``) are datasketch's,
computed in numpy (tests compare them with datasketch's own), because importing datasketch
loads SciPy: 0.5 s and 40 MB in every process that signs or checks. In a crawl the extraction
workers sign each text and compute its band keys; this module compares signatures in plain
Python and imports numpy only when it must sign or band a text itself, so the crawl process
never loads it (0.12 s and 16 MB, issue 16).

A duplicate points at its cluster's original (the first article of the story), which is the
cluster id: originals get ``cluster_id`` = their own id when stored.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

# The defaults are storage.dedup_defaults' (re-exported here).
from storage.dedup_defaults import (
    DEFAULT_NEAR_THRESHOLD,
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE_WORDS,
)
from storage.models import Article, DedupBand, UrlKey

if TYPE_CHECKING:
    from storage.bands import BandLayout
    from storage.signature import Signer

__all__ = [
    "DEFAULT_NEAR_THRESHOLD",
    "DEFAULT_NUM_PERM",
    "DEFAULT_SHINGLE_WORDS",
    "DedupDecision",
    "DedupIndex",
    "lock_archive",
]

# Names of storage.signature and storage.bands that stay importable from here (numpy: loaded
# on first use of one of them, see __getattr__).
_SIGNATURE_NAMES = frozenset(
    {"SIG_DTYPE", "SigArray", "Signer", "U64Array", "minhash_values", "normalize_text",
     "text_hash", "word_hashes"}
)  # fmt: skip
_BANDS_NAMES = frozenset({"BandLayout", "LSH_WEIGHTS", "_band_layout"})
#: Bytes of one signature value (``storage.signature.SIG_DTYPE``, a little-endian uint32).
SIG_ITEMSIZE = 4


def __getattr__(name: str) -> Any:
    if name in _SIGNATURE_NAMES:
        from storage import signature

        return getattr(signature, name)
    if name in _BANDS_NAMES:
        from storage import bands

        return getattr(bands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# At most this many near-duplicate candidates are compared for one article (a band shared by
# very many stored texts, e.g. boilerplate, must not make one check read thousands of rows);
# the newest are kept, since syndicated copies follow their original within days.
MAX_CANDIDATES = 2000
# Every writer of articles takes this PostgreSQL advisory lock for its dedup check and insert,
# so that two processes storing copies of one story at the same moment fold them into one
# (SQLite serializes writers with BEGIN IMMEDIATE already). An arbitrary constant: "newsmon".
ARCHIVE_LOCK_KEY = 0x6E6577736D6F6E


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
        if not 0.0 < near_threshold <= 1.0:
            raise ValueError(f"near_threshold must be in (0, 1], got {near_threshold}")
        self.near_threshold = near_threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._layout: BandLayout | None = None
        self._signer: Signer | None = None

    @property
    def layout(self) -> BandLayout:
        """The LSH band layout (numpy: made on first use)."""
        if self._layout is None:
            from storage.bands import BandLayout

            self._layout = BandLayout(self.near_threshold, self.num_perm)
        return self._layout

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
        band_keys: Sequence[int] | None = None,
    ) -> DedupDecision:
        """Is this article a copy of a stored one? URL, then exact, then near.

        ``signed`` is ``Signer.sign(text)`` computed elsewhere (in a worker process, say)
        with this index's ``num_perm`` and ``shingle_words``, and ``band_keys`` its band keys
        in this index's layout; without them the text is signed (and banded) here.
        Run it in the transaction that stores the article, after :func:`lock_archive`.
        """
        if signed is None:
            if self._signer is None:
                from storage.signature import Signer

                self._signer = Signer(self.num_perm, self.shingle_words)
            signed = self._signer.sign(text)
        digest, blob = signed
        if blob and len(blob) != self.num_perm * SIG_ITEMSIZE:
            raise ValueError(
                f"signature has {len(blob) // SIG_ITEMSIZE} values, index uses {self.num_perm}"
            )

        def dup(kind: str, row: tuple[int, int | None], similarity: float | None) -> DedupDecision:
            cluster = row[1] if row[1] is not None else row[0]
            return DedupDecision(kind, cluster, cluster, digest, blob, similarity)

        conn = session.connection()
        hit = conn.execute(_BY_URL, {"key": canonical_url}).first()
        if hit is not None:
            return dup("url", (hit[0], hit[1]), None)
        if not blob:
            return DedupDecision(None, None, None, digest, blob, None)
        hit = conn.execute(_BY_HASH, {"digest": digest}).first()
        if hit is not None:
            return dup("exact", (hit[0], hit[1]), 1.0)
        keys = band_keys if band_keys is not None else self.band_keys(blob)
        near = self._nearest(conn, blob, keys)
        if near is not None:
            return dup("near", (near[0], near[1]), near[2])
        return DedupDecision(None, None, None, digest, blob, None)

    def _nearest(
        self, conn: Any, blob: bytes, keys: Sequence[int]
    ) -> tuple[int, int, float] | None:
        if not keys:
            return None
        rows = conn.execute(_CANDIDATES, {"keys": sorted(set(keys))}).all()
        # Hand-written, not numpy: a check compares a handful of candidates (at most
        # MAX_CANDIDATES), a few microseconds each this way, while importing numpy would cost
        # the crawl process 0.12 s and 16 MB. Equal values are equal 4-byte words in either
        # byte order, so the native unsigned-int view compares them.
        sig = memoryview(blob).cast("I")
        best: tuple[float, int, int] | None = None  # (similarity, cluster, id)
        for art_id, cluster, other in rows:
            if not other or len(other) != len(blob):
                continue
            same = sum(map(operator.eq, sig, memoryview(other).cast("I")))
            sim = same / self.num_perm
            cluster = cluster if cluster is not None else art_id
            # Best match; among equals the oldest cluster (the lowest id) wins.
            if best is None or (sim, -cluster) > (best[0], -best[1]):
                best = (sim, cluster, art_id)
        if best is None or best[0] < self.near_threshold:
            return None
        return best[2], best[1], best[0]
