"""Duplicate detection against stored articles, across a reload of the index from the DB."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session, sessionmaker

import storage.dedup as dedup_mod
from storage.articles import insert_article
from storage.dedup import DedupDecision, DedupIndex, normalize_text, text_hash
from storage.engine import session_scope
from tests.storage.conftest import RecordFactory

VOCABULARY = (
    "kremlin minister general governor security council election protest court reform "
    "budget army region official decree parliament opposition leader spokesman agency "
    "report statement meeting week month year city river bridge market price energy "
    "oil gas pipeline contract company bank ruble sanction export import tax school "
    "hospital doctor teacher student village farmer harvest weather storm flood fire "
    "police arrest trial judge lawyer verdict appeal prison release journalist editor "
    "newspaper channel broadcast interview poll survey analyst expert scholar museum"
)
WORDS = VOCABULARY.split()


def prose(seed: int, n: int = 300) -> str:
    """Deterministic article-like text: sentences of random words from WORDS."""
    rnd = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < n:
        words = rnd.choices(WORDS, k=rnd.randint(8, 16))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def edit(text: str, every: int, seed: int) -> str:
    """Replace one word in every ``every`` words: a lightly edited copy."""
    rnd = random.Random(seed)
    words = text.split()
    for i in range(rnd.randrange(every), len(words), every):
        words[i] = "changed"
    return " ".join(words)


def store(
    sessions: sessionmaker[Session],
    make_record: RecordFactory,
    index: DedupIndex,
    url: str,
    text: str,
    canonical: str | None = None,
) -> tuple[int, DedupDecision]:
    """What the crawl's dedup + store stages do for one article."""
    canonical = canonical or url
    decision = index.check(canonical, text)
    rec = make_record(
        url,
        canonical_url=canonical,
        text=text,
        text_hash=decision.text_hash,
        minhash=decision.minhash,
        duplicate_of=decision.duplicate_of,
        duplicate_kind=decision.kind,
        cluster_id=decision.cluster_id,
    )
    with session_scope(sessions) as s:
        art_id, _ = insert_article(s, rec)
    index.add(art_id, decision.cluster_id or art_id, canonical, decision)
    return art_id, decision


def reload(sessions: sessionmaker[Session]) -> DedupIndex:
    with session_scope(sessions) as s:
        return DedupIndex.load(s)


def test_normalized_hash_ignores_case_punctuation_and_spacing() -> None:
    a = "Kremlin  denies the Reports.\nOfficials said: «nothing happened»!"
    b = "kremlin denies the reports officials said nothing happened"
    assert normalize_text(a) == b
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash(b + " today")


def test_duplicates_are_found_after_reloading_the_index(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    original = prose(1)
    orig_id, first = store(sessions, make_record, DedupIndex(), "https://a.example/1", original)
    assert first.kind is None

    index = reload(sessions)  # a later crawl run
    assert len(index) == 1
    exact = index.check("https://b.example/x", original.upper().replace(".", " ."))
    assert (exact.kind, exact.duplicate_of, exact.cluster_id) == ("exact", orig_id, orig_id)

    near = index.check("https://c.example/y", edit(original, 100, seed=2) + " Read more online.")
    assert (near.kind, near.duplicate_of, near.cluster_id) == ("near", orig_id, orig_id)
    assert near.similarity is not None and 0.8 <= near.similarity < 1.0

    other = index.check("https://d.example/z", prose(99))
    assert (other.kind, other.duplicate_of, other.cluster_id) == (None, None, None)

    same_url = index.check("https://a.example/1", prose(98))
    assert (same_url.kind, same_url.duplicate_of) == ("url", orig_id)


def test_a_copy_of_a_copy_points_at_the_first_article(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    original = prose(3)
    orig_id, _ = store(sessions, make_record, DedupIndex(), "https://a.example/o", original)
    copy = edit(original, 150, seed=4)
    copy_id, d1 = store(sessions, make_record, reload(sessions), "https://b.example/c", copy)
    assert d1.kind == "near" and d1.duplicate_of == orig_id
    copy_of_copy = edit(copy, 150, seed=5)
    _, d2 = store(sessions, make_record, reload(sessions), "https://c.example/cc", copy_of_copy)
    assert d2.kind in ("near", "exact")
    assert d2.duplicate_of == orig_id and d2.cluster_id == orig_id
    assert copy_id != orig_id


def test_articles_added_in_the_same_run_are_seen(
    sessions: sessionmaker[Session],
    make_record: RecordFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Merge pending signatures into the sorted bands after 3 adds, to test both paths.
    monkeypatch.setattr(dedup_mod, "_MERGE_EVERY", 3)
    index = reload(sessions)
    ids = {}
    for seed in range(10, 17):
        ids[seed], d = store(sessions, make_record, index, f"https://a.example/{seed}", prose(seed))
        assert d.kind is None, seed
    for seed in (10, 13, 16):
        d = index.check(f"https://z.example/{seed}", edit(prose(seed), 100, seed=seed))
        assert (d.kind, d.duplicate_of) == ("near", ids[seed])


def test_empty_text_is_never_a_duplicate(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    index = DedupIndex()
    store(sessions, make_record, index, "https://a.example/empty1", "  ")
    assert index.check("https://a.example/empty2", "").kind is None
    assert reload(sessions).check("https://a.example/empty3", "...").kind is None


def test_rows_without_signature_still_match_by_url_and_hash(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    text = prose(7)
    with session_scope(sessions) as s:
        old_id, _ = insert_article(
            s, make_record("https://a.example/old", text=text, text_hash=text_hash(text))
        )
    index = reload(sessions)
    assert len(index) == 0  # no stored minhash: not in the near index
    d = index.check("https://b.example/new", text)
    assert (d.kind, d.duplicate_of) == ("exact", old_id)


def test_settings_change_what_counts_as_near() -> None:
    base = prose(8)
    loose, strict = DedupIndex(near_threshold=0.5), DedupIndex(near_threshold=0.95)
    for index in (loose, strict):
        index.add(1, 1, "https://a.example/1", index.check("https://a.example/1", base))
    edited = edit(base, 40, seed=9)  # Jaccard about 0.77
    assert loose.check("https://b.example/2", edited).kind == "near"
    assert strict.check("https://b.example/2", edited).kind is None


def test_near_duplicates_near_the_threshold_are_rarely_missed() -> None:
    # Edited copies at Jaccard ~0.85: datasketch's default banding misses ~30% of these.
    index = DedupIndex()
    for n in range(40):
        text = prose(1000 + n)
        index.add(
            n + 1, n + 1, f"https://a.example/{n}", index.check(f"https://a.example/{n}", text)
        )
    found = [
        index.check(f"https://b.example/{n}", edit(prose(1000 + n), 60, seed=n)).duplicate_of
        for n in range(40)
    ]
    assert sum(f == n + 1 for n, f in enumerate(found)) >= 38
    unrelated = [index.check(f"https://c.example/{n}", prose(5000 + n)).kind for n in range(40)]
    assert unrelated == [None] * 40


def test_word_memo_overflow_keeps_every_needed_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose vocabulary overflows the memo used to raise KeyError (and was lost)."""

    monkeypatch.setattr(dedup_mod, "_WORD_MEMO_LIMIT", 10)
    memo = {f"old{i}": i for i in range(8)}
    words = ["old1", "new1", "new2", "new3", "old1"]
    hashes = dedup_mod.word_hashes(words, memo)
    assert len(hashes) == 5 and hashes[0] == hashes[4]
    assert list(hashes) == list(dedup_mod.word_hashes(words))  # same as without a memo


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.85, 0.9, 0.95])
def test_band_layout_matches_datasketch(num_perm: int, threshold: float) -> None:
    """The LSH bands newsmon computes without SciPy are the ones datasketch would pick: a
    different layout would change which stored articles are found as near-duplicates."""
    from datasketch import MinHashLSH

    ref = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=dedup_mod.LSH_WEIGHTS)
    assert dedup_mod._band_layout(threshold, num_perm) == (ref.b, ref.r)


@pytest.mark.parametrize("num_perm", [16, 128, 256])
@pytest.mark.parametrize("count", [1, 7, 300, 9000])
def test_minhash_values_match_datasketch(num_perm: int, count: int) -> None:
    """Signatures are datasketch's MinHash (affine32, seed 1), computed without importing it:
    a difference would make every signature stored by an earlier version incomparable."""
    import numpy as np
    from datasketch import MinHash

    rng = random.Random(count * 1000 + num_perm)
    hashes = np.array([rng.getrandbits(32) for _ in range(count)], dtype=np.uint32)
    ref = MinHash(num_perm=num_perm, seed=1, scheme="affine32", hashfunc=lambda v: v)
    ref.update_batch(hashes)
    assert dedup_mod.minhash_values(hashes, num_perm).tolist() == [int(v) for v in ref.hashvalues]
