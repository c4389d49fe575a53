"""Benchmark (issue 11): near-duplicate recall and precision, before and after the indexed archive.

    python tests/benchmarks/bench_dedup.py [--bases 150] [--backends sqlite,postgresql]
        [--before REV]

Real article texts (the corpus's ground-truth texts, ../shared/corpus/texts.jsonl) are stored
as originals, then copies of them are offered as a crawl would meet them: exact copies, wire
copies (a dateline and an agency credit added), light edits (one word in 80), edits on the
threshold (one word in 40), a trimmed last paragraph, heavy rewrites (one word in 6) and
halves. The truth for each copy is the true Jaccard similarity of its 5-word shingles with its
original (the definition MinHash estimates): at or above the threshold (0.8) it should fold
into the original's story, below it it should stand alone. Recall = copies that should fold
and did, into the right story; precision = folds that were right (a fold into the wrong story,
or of a copy below the threshold, or of one original into another, is a false one).

"after" is this checkout's database-backed index (``DedupIndex.check`` + ``insert_article``,
one transaction per article, as the store stage runs it), on each backend; "before" is the
in-memory index of ``--before`` (default: the commit before the indexed archive), loaded from
git, fed the same texts in the same order.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, text  # noqa: E402

from storage.articles import insert_article  # noqa: E402
from storage.dedup import DedupIndex, lock_archive, normalize_text  # noqa: E402
from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_SHINGLE_WORDS  # noqa: E402
from storage.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.records import ArticleRecord  # noqa: E402

CORPUS = PROJECT.parent / "shared" / "corpus" / "texts.jsonl"
BEFORE = "8ac6c69^"  # the last commit with the in-memory index
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Offer:
    """One article offered to the index: its URL, text, and the original it copies (if any)."""

    url: str
    text: str
    base: int
    kind: str
    should_fold: bool


def shingles(text_: str, k: int = DEFAULT_SHINGLE_WORDS) -> set[tuple[str, ...]]:
    words = normalize_text(text_).split()
    return {tuple(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _replace(text_: str, every: int, rnd: random.Random) -> str:
    words = text_.split(" ")
    for i in range(rnd.randrange(every), len(words), every):
        words[i] = rnd.choice(["reportedly", "officials", "said", "the", "new", "former"])
    return " ".join(words)


VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "exact": lambda t, r: t,
    "wire": lambda t, r: (
        f"MOSCOW, {r.randint(1, 28)} May (Agency) - {t}\n\n(Reporting by the "
        f"Moscow bureau; editing by the night desk)"
    ),
    "light": lambda t, r: _replace(t, 80, r),
    "edited": lambda t, r: _replace(t, 40, r),
    "trim": lambda t, r: t.rsplit("\n", 1)[0] if "\n" in t.strip() else t[: len(t) * 9 // 10],
    "heavy": lambda t, r: _replace(t, 6, r),
    "half": lambda t, r: t[: len(t) // 2],
}


def offers(bases: int, seed: int = 11) -> tuple[list[Offer], list[Offer]]:
    """(originals, copies in a shuffled order) from the corpus texts."""
    rnd = random.Random(seed)
    texts = []
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if len(item["text"].split()) >= 200:
                texts.append(item["text"])
    texts = texts[:bases]
    originals = [
        Offer(f"https://a.example/{i}", t, i, "original", False) for i, t in enumerate(texts)
    ]
    copies = []
    for i, t in enumerate(texts):
        for kind, make in VARIANTS.items():
            copy = make(t, rnd)
            copies.append(
                Offer(
                    f"https://b{kind}.example/{i}",
                    copy,
                    i,
                    kind,
                    jaccard(t, copy) >= DEFAULT_NEAR_THRESHOLD,
                )
            )
    rnd.shuffle(copies)
    return originals, copies


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, offer: Offer, folded_into: int | None) -> None:
        """``folded_into`` is the base index of the story the offer joined (None: its own)."""
        if offer.should_fold:
            if folded_into == offer.base:
                self.tp += 1
            elif folded_into is None:
                self.fn += 1
            else:
                self.fp += 1
                self.fn += 1
        elif folded_into is None:
            self.tn += 1
        else:
            self.fp += 1

    def line(self) -> str:
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        return (
            f"recall {recall:.3f}  precision {precision:.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"
        )


def record(offer: Offer, decision: Any, band_keys: list[int]) -> ArticleRecord:
    return ArticleRecord(
        url=offer.url,
        canonical_url=offer.url,
        source="bench",
        title=offer.url,
        author=None,
        published_at=T0,
        fetched_at=T0,
        language="en",
        site_name=None,
        text=offer.text,
        text_hash=decision.text_hash,
        minhash=decision.minhash,
        relevance_score=0.5,
        relevant=False,
        why={},
        model_version="bench",
        duplicate_of=decision.duplicate_of,
        duplicate_kind=decision.kind,
        cluster_id=decision.cluster_id,
        crawl_run_id=None,
        band_keys=band_keys,
    )


def run_after(url: str, originals: list[Offer], copies: list[Offer]) -> Score:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine, write=True)
    index = DedupIndex()
    story_of: dict[int, int] = {}  # cluster id -> base index
    score = Score()
    try:
        for offer in [*originals, *copies]:
            with session_scope(sessions) as s:
                lock_archive(s)
                decision = index.check(s, offer.url, offer.text)
                art_id, _ = insert_article(
                    s, record(offer, decision, index.band_keys(decision.minhash))
                )
            folded = None if decision.cluster_id is None else story_of.get(decision.cluster_id, -1)
            if decision.cluster_id is None:
                story_of[art_id] = offer.base if offer.kind == "original" else -2 - art_id
            score.add(offer, folded)
    finally:
        engine.dispose()
    return score


def load_before(rev: str) -> ModuleType:
    source = subprocess.run(
        ["git", "-C", str(PROJECT), "show", f"{rev}:storage/dedup.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "dedup_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("dedup_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["dedup_before"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_before(module: ModuleType, originals: list[Offer], copies: list[Offer]) -> Score:
    index = module.DedupIndex(DEFAULT_NEAR_THRESHOLD)
    story_of: dict[int, int] = {}
    score = Score()
    for art_id, offer in enumerate([*originals, *copies], start=1):
        decision = index.check(offer.url, offer.text)
        cluster = decision.cluster_id if decision.cluster_id is not None else art_id
        index.add(art_id, cluster, offer.url, decision)
        folded = None if decision.cluster_id is None else story_of.get(decision.cluster_id, -1)
        if decision.cluster_id is None:
            story_of[art_id] = offer.base if offer.kind == "original" else -2 - art_id
        score.add(offer, folded)
    return score


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    name = f"newsmon_bench_dedup_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", type=int, default=150)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--before", default=BEFORE)
    args = parser.parse_args(argv)
    originals, copies = offers(args.bases)
    truth = sum(o.should_fold for o in copies)
    print(
        f"{len(originals)} originals, {len(copies)} copies ({truth} at or above "
        f"Jaccard {DEFAULT_NEAR_THRESHOLD}); by kind, share that should fold:"
    )
    for kind in VARIANTS:
        of_kind = [o for o in copies if o.kind == kind]
        print(f"  {kind:6} {sum(o.should_fold for o in of_kind) / len(of_kind):.2f}")
    before = run_before(load_before(args.before), originals, copies)
    print(f"before ({args.before}, in memory): {before.line()}")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                score = run_after(f"sqlite:///{tmp}/dedup.db", originals, copies)
        else:
            with pg_database() as url:
                score = run_after(url, originals, copies)
        print(f"after, {backend}: {score.line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
