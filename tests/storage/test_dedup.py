"""Duplicate detection against stored articles: the index is the database (both backends)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import storage.dedup as dedup_mod
import storage.signature as signature_mod
from storage.articles import insert_article
from storage.dedup import DedupDecision, DedupIndex, lock_archive, normalize_text, text_hash
from storage.engine import session_scope
from storage.models import DedupBand
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
    """What the crawl's store stage does for one article: check and insert, one transaction."""
    canonical = canonical or url
    with session_scope(sessions) as s:
        lock_archive(s)
        decision = index.check(s, canonical, text)
        rec = make_record(
            url,
            canonical_url=canonical,
            text=text,
            text_hash=decision.text_hash,
            minhash=decision.minhash,
            duplicate_of=decision.duplicate_of,
            duplicate_kind=decision.kind,
            cluster_id=decision.cluster_id,
            band_keys=index.band_keys(decision.minhash),
        )
        art_id, _ = insert_article(s, rec)
    return art_id, decision


def check(
    sessions: sessionmaker[Session], index: DedupIndex, canonical: str, text: str
) -> DedupDecision:
    with session_scope(sessions) as s:
        return index.check(s, canonical, text)


def test_normalized_hash_ignores_case_punctuation_and_spacing() -> None:
    a = "Kremlin  denies the Reports.\nOfficials said: «nothing happened»!"
    b = "kremlin denies the reports officials said nothing happened"
    assert normalize_text(a) == b
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash(b + " today")


def test_duplicates_are_found_by_a_later_run(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    original = prose(1)
    orig_id, first = store(sessions, make_record, DedupIndex(), "https://a.example/1", original)
    assert first.kind is None

    index = DedupIndex()  # a later crawl run, or another process: the index is the database
    exact = check(sessions, index, "https://b.example/x", original.upper().replace(".", " ."))
    assert (exact.kind, exact.duplicate_of, exact.cluster_id) == ("exact", orig_id, orig_id)

    near = check(
        sessions, index, "https://c.example/y", edit(original, 100, seed=2) + " Read more online."
    )
    assert (near.kind, near.duplicate_of, near.cluster_id) == ("near", orig_id, orig_id)
    assert near.similarity is not None and 0.8 <= near.similarity < 1.0

    other = check(sessions, index, "https://d.example/z", prose(99))
    assert (other.kind, other.duplicate_of, other.cluster_id) == (None, None, None)

    same_url = check(sessions, index, "https://a.example/1", prose(98))
    assert (same_url.kind, same_url.duplicate_of) == ("url", orig_id)


def test_a_copy_of_a_copy_points_at_the_first_article(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    original = prose(3)
    index = DedupIndex()
    orig_id, _ = store(sessions, make_record, index, "https://a.example/o", original)
    copy = edit(original, 150, seed=4)
    copy_id, d1 = store(sessions, make_record, index, "https://b.example/c", copy)
    assert d1.kind == "near" and d1.duplicate_of == orig_id
    copy_of_copy = edit(copy, 150, seed=5)
    _, d2 = store(sessions, make_record, index, "https://c.example/cc", copy_of_copy)
    assert d2.kind in ("near", "exact")
    assert d2.duplicate_of == orig_id and d2.cluster_id == orig_id
    assert copy_id != orig_id


def test_articles_stored_in_the_same_run_are_seen(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    index = DedupIndex()
    ids = {}
    for seed in range(10, 17):
        ids[seed], d = store(sessions, make_record, index, f"https://a.example/{seed}", prose(seed))
        assert d.kind is None, seed
    for seed in (10, 13, 16):
        d = check(sessions, index, f"https://z.example/{seed}", edit(prose(seed), 100, seed=seed))
        assert (d.kind, d.duplicate_of) == ("near", ids[seed])


def test_band_rows_are_written_with_the_article(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    index = DedupIndex()
    text = prose(20)
    art_id, _ = store(sessions, make_record, index, "https://a.example/20", text)
    _, d = store(sessions, make_record, index, "https://b.example/20", text)
    assert d.kind == "exact"
    with session_scope(sessions) as s:
        rows = s.execute(select(DedupBand.article_id, DedupBand.key)).all()
    assert {a for a, _ in rows} == {art_id}  # an exact copy's bands are its original's
    assert len(rows) == index.layout.bands == len(index.band_keys(d.minhash))


def test_empty_text_is_never_a_duplicate(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    index = DedupIndex()
    store(sessions, make_record, index, "https://a.example/empty1", "  ")
    assert check(sessions, index, "https://a.example/empty2", "").kind is None
    assert check(sessions, DedupIndex(), "https://a.example/empty3", "...").kind is None


def test_rows_without_signature_still_match_by_url_and_hash(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    text = prose(7)
    with session_scope(sessions) as s:
        old_id, _ = insert_article(
            s, make_record("https://a.example/old", text=text, text_hash=text_hash(text))
        )
    d = check(sessions, DedupIndex(), "https://b.example/new", text)
    assert (d.kind, d.duplicate_of) == ("exact", old_id)


def test_settings_change_what_counts_as_near(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    base = prose(8)
    loose, strict = DedupIndex(near_threshold=0.5), DedupIndex(near_threshold=0.95)
    store(sessions, make_record, loose, "https://a.example/1", base)
    store(sessions, make_record, strict, "https://a.example/2", base + " More.")
    edited = edit(base, 40, seed=9)  # Jaccard about 0.77
    assert check(sessions, loose, "https://b.example/2", edited).kind == "near"
    assert check(sessions, strict, "https://b.example/2", edited).kind is None


def test_near_duplicates_near_the_threshold_are_rarely_missed(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    # Edited copies at Jaccard ~0.85: datasketch's default banding misses ~30% of these.
    index = DedupIndex()
    ids = [
        store(sessions, make_record, index, f"https://a.example/{n}", prose(1000 + n))[0]
        for n in range(40)
    ]
    found = [
        check(sessions, index, f"https://b.example/{n}", edit(prose(1000 + n), 60, seed=n))
        for n in range(40)
    ]
    assert sum(f.duplicate_of == ids[n] for n, f in enumerate(found)) >= 38
    unrelated = [
        check(sessions, index, f"https://c.example/{n}", prose(5000 + n)).kind for n in range(40)
    ]
    assert unrelated == [None] * 40


def test_word_memo_overflow_keeps_every_needed_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose vocabulary overflows the memo used to raise KeyError (and was lost)."""

    monkeypatch.setattr(signature_mod, "_WORD_MEMO_LIMIT", 10)
    memo = {f"old{i}": i for i in range(8)}
    words = ["old1", "new1", "new2", "new3", "old1"]
    hashes = signature_mod.word_hashes(words, memo)
    assert len(hashes) == 5 and hashes[0] == hashes[4]
    assert list(hashes) == list(signature_mod.word_hashes(words))  # same as without a memo


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
