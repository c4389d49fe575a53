"""Benchmark: how long the dedup index takes to rebuild from N stored signatures.

    python tests/storage/bench_dedup.py [--articles 20000] [--database-url URL]

Prints signature throughput, ``DedupIndex.load`` time (what every crawl pays at start) and
check throughput against the loaded index. Uses a throwaway SQLite file unless a URL is given
(the tables must then be empty). Numbers, not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from storage.dedup import DedupIndex
from storage.engine import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Article


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=400, help="words per article")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_session_factory(engine, write=True)
        rnd = random.Random(7)
        vocab = [f"w{i}" for i in range(20_000)]
        index = DedupIndex()
        now = dt.datetime.now(dt.UTC)
        rows, texts = [], []
        t0 = time.perf_counter()
        for i in range(args.articles):
            text = " ".join(rnd.choices(vocab, k=args.words))
            d = index.check(f"https://bench.example/{i}", text)
            texts.append(text)
            rows.append(
                {
                    "url": f"https://bench.example/{i}",
                    "canonical_url": f"https://bench.example/{i}",
                    "source": "bench",
                    "text": "",  # the text is not read by the index
                    "text_hash": d.text_hash,
                    "minhash": d.minhash,
                    "fetched_at": now,
                }
            )
        sig_s = time.perf_counter() - t0
        with session_scope(sessions) as s:
            s.execute(insert(Article), rows)
        loads = []
        for _ in range(5):
            with session_scope(sessions) as s:
                t0 = time.perf_counter()
                loaded = DedupIndex.load(s)
                loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        probes = 500
        hits = sum(
            loaded.check(f"https://copy.example/{i}", texts[i] + " syndicated copy").kind == "near"
            for i in range(probes)
        )
        check_s = time.perf_counter() - t0
        engine.dispose()

    print(f"backend            {engine.url.get_backend_name()}")
    print(f"articles           {args.articles} x {args.words} words")
    print(f"signatures         {args.articles / sig_s:,.0f}/s")
    print(f"DedupIndex.load    median {statistics.median(loads) * 1000:.0f} ms (of 5)")
    print(f"check (near copy)  {probes / check_s:,.0f}/s, found {hits}/{probes}")


if __name__ == "__main__":
    main()
