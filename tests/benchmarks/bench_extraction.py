"""Benchmark (issue 2, part a): extraction alone over every corpus page.

    python tests/benchmarks/bench_extraction.py [--corpus DIR] [--workers N] [--compare]

Prints pages/s on one core and on all cores (the bound a full crawl is measured against), and
the extraction F1 against the corpus ground truth (4-gram shingles, per-page precision/recall,
macro-averaged over the pages whose truth_kind is ``reference``). ``--compare`` also scores
trafilatura's precision- and recall-favouring modes.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Run as a script from anywhere: make the project root importable (for tests.corpus).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawler.extraction import Extracted, ExtractionPool, extract_article
from crawler.extraction.extract import MAX_BODY_BYTES
from tests.corpus.corpus_eval import (
    CorpusPage,
    load_pages,
    macro,
    macro_f1,
    reference_pages,
    score_text,
)

DEFAULT_CORPUS = Path(
    os.environ.get("NEWSMON_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)


@dataclass(frozen=True)
class Timing:
    pages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def time_one_core(pages: list[tuple[bytes, str]]) -> tuple[Timing, list[Extracted | None]]:
    extract_article(*pages[0])  # warm-up: imports and first-call caches
    start = time.perf_counter()
    results = [extract_article(body, url) for body, url in pages]
    return Timing(len(pages), time.perf_counter() - start), results


def time_all_cores(pages: list[tuple[bytes, str]], workers: int) -> Timing:
    """Steady-state throughput of a warmed ExtractionPool (start-up is not counted)."""
    with ExtractionPool(workers) as pool:
        for fut in [pool.submit(*pages[i % len(pages)], None) for i in range(pool.workers * 2)]:
            fut.result()
        start = time.perf_counter()
        futures = [pool.submit(body, url, None) for body, url in pages]
        for fut in futures:
            fut.result()
        return Timing(len(pages), time.perf_counter() - start)


def f1_report(corpus: list[CorpusPage], results: dict[str, Extracted | None]) -> str:
    refs = reference_pages(corpus)
    scores = []
    for page in refs:
        got = results[page.id]
        scores.append(score_text(got.text if got else None, page.truth() or ""))
    avg = macro(scores)
    return (
        f"F1 {macro_f1(scores):.3f} (precision {avg.precision:.3f}, recall {avg.recall:.3f}, "
        f"{len(refs)} reference pages, {sum(1 for p in refs if results[p.id] is None)} empty)"
    )


def all_cores_bound(corpus_dir: Path, workers: int = 0) -> Timing:
    """Pages/s of extraction on all cores over the corpus: the crawl benchmark's bound."""
    corpus = load_pages(corpus_dir)
    return time_all_cores([(p.body(), p.url) for p in corpus], workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=0, help="0 = one per CPU")
    parser.add_argument("--compare", action="store_true", help="also score precision/recall modes")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.tsv").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    corpus = load_pages(args.corpus)
    pages = [(p.body(), p.url) for p in corpus]
    mb = sum(len(b[:MAX_BODY_BYTES]) for b, _ in pages) / 1e6
    print(f"corpus: {len(pages)} pages, {mb:.1f} MB, {os.cpu_count()} CPUs")

    one, results = time_one_core(pages)
    print(f"extraction, 1 core:    {one.rate:7.1f} pages/s  ({one.seconds:.1f} s)")
    workers = args.workers or os.cpu_count() or 1
    many = time_all_cores(pages, workers)
    print(
        f"extraction, {workers} cores:  {many.rate:7.1f} pages/s  ({many.seconds:.1f} s)  "
        f"= bound for the crawl; speed-up x{many.rate / one.rate:.2f}"
    )
    by_id = dict(zip((p.id for p in corpus), results, strict=True))
    print(f"default settings:      {f1_report(corpus, by_id)}")
    if args.compare:
        for name in ("favor_precision", "favor_recall"):
            fn = functools.partial(
                extract_article,
                favor_precision=name == "favor_precision",
                favor_recall=name == "favor_recall",
            )
            start = time.perf_counter()
            variant = {p.id: fn(body, url) for p, (body, url) in zip(corpus, pages, strict=True)}
            rate = len(pages) / (time.perf_counter() - start)
            print(f"{name + ':':22} {f1_report(corpus, variant)}  {rate:.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
