"""Text hash and MinHash signature of an article's text (see storage/dedup.py for their use).

Kept apart from the dedup index so that the extraction workers, which sign every text, import
numpy only: importing storage.dedup loads SQLAlchemy and the models, about 0.4 CPU s and
20 MB in the forkserver of every crawl (issue 16).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import numpy as np
import numpy.typing as npt

from storage.dedup_defaults import DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS

SIG_DTYPE = np.dtype("<u4")
# Signatures are datasketch's MinHash with its default "affine32" scheme and seed 1, computed
# here in numpy (tests check they are identical to datasketch's): importing datasketch loads
# SciPy, about 0.5 s and 40 MB in every process that signs.
_SEED = 1
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_MAX32 = np.uint32(0xFFFFFFFF)
_CHUNK = 4096  # shingles permuted at once: bounds the (shingles x num_perm) matrix to ~2 MB
_NON_WORD = re.compile(r"[\W_]+")


U64Array = npt.NDArray[np.uint64]
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


class Signer:
    """Text hash and MinHash signature of a text: a pure function of the text and parameters.

    Kept apart from :class:`DedupIndex` so that worker processes can sign texts (the costly
    part of a dedup check) while the index, in the crawl process, only compares.
    """

    def __init__(
        self, num_perm: int = DEFAULT_NUM_PERM, shingle_words: int = DEFAULT_SHINGLE_WORDS
    ) -> None:
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
