"""Benchmark (issue 3): relevance scoring speed against extraction, and quality on the corpus.

    python tests/benchmarks/bench_scoring.py [--corpus DIR] [--repeat N]

Speed: articles/s for scoring alone, per-article scoring time against per-article extraction
time (crawler.extraction.extract_article on the corpus pages, one core). Target: scoring costs
less than 10% of extraction.

Quality: the model trained from seeds/ alone (never from the corpus) on every labelled corpus
item (texts.jsonl + labelled pages): precision/recall/F1 at the configured default threshold,
false-positive rate on the `near` misses, and an honest figure for a threshold chosen on half of
the corpus and measured on the other half.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawler.relevance import load_model
from crawler.relevance.corpus import LabelledDoc, read_corpus
from crawler.relevance.evaluation import best_threshold, false_positive_rate, metrics_at
from scheduler.config import RelevanceOptions
from scheduler.paths import project_seeds_dir

DEFAULT_CORPUS = Path(
    os.environ.get("NEWSMON_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)


def extraction_ms(corpus: Path) -> tuple[float, int]:
    """Mean milliseconds per page for extract_article over the corpus pages (one core)."""
    from crawler.extraction import extract_article

    pages = sorted((corpus / "pages").glob("*.html"))
    bodies = [p.read_bytes() for p in pages]
    start = time.perf_counter()
    for p, body in zip(pages, bodies, strict=True):
        extract_article(body, f"https://example.org/{p.name}")
    return (time.perf_counter() - start) * 1000 / len(bodies), len(bodies)


def split_half_f1(scores: list[float], truth: list[bool], rounds: int = 200) -> list[float]:
    """F1 on one half with the threshold that is best on the other half, over random splits."""
    rng = random.Random(0)
    idx = list(range(len(scores)))
    out = []
    for _ in range(rounds):
        rng.shuffle(idx)
        a, b = idx[: len(idx) // 2], idx[len(idx) // 2 :]
        t = best_threshold([scores[i] for i in a], [truth[i] for i in a]).threshold
        out.append(metrics_at([scores[i] for i in b], [truth[i] for i in b], t).f1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3, help="scoring passes to time")
    args = parser.parse_args()
    if not (args.corpus / "manifest.tsv").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", module="urllib3")
    threshold = RelevanceOptions().threshold
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        model = load_model(Path(tmp), project_seeds_dir(), threshold)
        train_s = time.perf_counter() - t0
    docs: list[LabelledDoc] = list(read_corpus(args.corpus))
    print(f"model {model.version}: trained from {len(model.seeds)} seeds in {train_s:.2f} s")

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        scores = [model.score(d.title, d.text).score for d in docs]
        best = min(best, time.perf_counter() - start)
    chars = statistics.mean(len(d.text) for d in docs)
    score_ms = best * 1000 / len(docs)
    print(
        f"scoring: {len(docs)} articles (mean {chars:.0f} chars) in {best:.3f} s "
        f"= {len(docs) / best:.0f} articles/s, {score_ms:.2f} ms/article"
    )
    ext_ms, pages = extraction_ms(args.corpus)
    print(f"extraction: {pages} pages, {ext_ms:.2f} ms/page (one core)")
    print(f"scoring / extraction per article: {score_ms / ext_ms:.1%} (target < 10%)")

    truth = [d.relevant for d in docs]
    kinds = [d.kind for d in docs]
    m = metrics_at(scores, truth, threshold)
    b = best_threshold(scores, truth)
    near_fp, near_n = false_positive_rate(scores, kinds, "near", threshold)
    irr_fp, irr_n = false_positive_rate(scores, kinds, "irr", threshold)
    halves = split_half_f1(scores, truth)
    print(
        f"\nquality on {len(docs)} labelled corpus items ({sum(truth)} rel, "
        f"{near_n} near, {irr_n} irr), model trained from seeds only:"
    )
    print(
        f"  threshold {threshold:.2f}: precision {m.precision:.3f} recall {m.recall:.3f} "
        f"F1 {m.f1:.3f} (tp {m.tp} fp {m.fp} fn {m.fn})"
    )
    print(
        f"  false positives: near {near_fp}/{near_n} ({near_fp / near_n:.1%}), "
        f"irr {irr_fp}/{irr_n} ({irr_fp / irr_n:.1%})"
    )
    print(f"  best threshold {b.threshold:.3f}: F1 {b.f1:.3f}")
    print(
        f"  threshold chosen on one half, F1 on the other (200 splits): "
        f"mean {statistics.mean(halves):.3f}, sd {statistics.stdev(halves):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
