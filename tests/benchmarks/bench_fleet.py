"""Benchmark (issue 12): one fleet worker with 2 extraction processes vs two with 1 each.

    python tests/benchmarks/bench_fleet.py [--corpus DIR] [--pages N] [--delay S]

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (db 12, a key prefix of its
own). For each setup, in one run on a local site serving the corpus through a sitemap:
``newsmon init`` and fleet discovery (``newsmon crawl`` with ``[fleet]``, untimed) fill the
frontier; then the worker(s) run with ``--until-empty`` and are measured as a user sees
them: wall time from start to the last exit, CPU seconds of every process of each worker
(its extraction processes included), peak RSS per worker. Printed: pages/s, CPU s per page,
peak memory per worker, the ratios of the fleet of two to the single worker beside their
targets (>= 0.9x pages/s, <= 1.1x CPU per page), and the spacing of requests the site saw.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
NEWSMON = str(Path(sys.executable).parent / "newsmon")
sys.path.insert(0, str(PROJECT))

from tests.benchmarks.bench_crawl import TreeMemory  # noqa: E402
from tests.benchmarks.bench_extraction import DEFAULT_CORPUS  # noqa: E402
from tests.corpus.corpus_site import CorpusSite  # noqa: E402

PG_ADMIN = os.environ.get(
    "NEWSMON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("NEWSMON_BENCH_REDIS", "redis://127.0.0.1:6379/12")
TARGET_SPEED, TARGET_CPU = 0.9, 1.1

CONFIG = """\
[storage]
url = "{db}"
[fleet]
redis_url = "{redis}"
key_prefix = "{prefix}"
[crawl]
user_agent = "newsmon-benchmark/0.1 (+mailto:bench@example.org)"
concurrent_requests = 32
concurrent_per_domain = 32
download_delay = {delay}
autothrottle = false
timeout = 60
retries = 1
max_article_age_days = 0
extract_workers = {workers}
allow_private_addresses = true
[relevance]
seeds_dir = "{seeds}"
model_dir = "{model}"
[[sources]]
name = "corpus"
url = "{sitemap}"
kind = "sitemap"
max_articles = 100000
"""


class TimedLog(list[str]):
    """CorpusSite's request log, with the time each request was logged (monotonic s)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, path: str) -> None:
        self.times.append(time.monotonic())
        super().append(path)


@dataclass
class Result:
    label: str
    pages: int
    seconds: float
    cpu: list[float]  # per worker, its whole process tree
    peak_rss: list[int]  # per worker: bytes summed over its process tree
    peak_pss: list[int]  # the same, pages shared between its processes counted once
    gaps: list[float]  # seconds between consecutive requests the site saw from the workers


def _database() -> str:
    from sqlalchemy import create_engine, text

    name = f"newsmon_bench_fleet_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(config: Path, *args: str) -> None:
    done = subprocess.run(
        [NEWSMON, "--config", str(config), "-q", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"newsmon {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _forget(prefix: str) -> None:
    from redis import Redis

    server = Redis.from_url(REDIS)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)


def setup(label: str, workers: list[int], site: CorpusSite, tmp: Path, delay: float) -> Result:
    db = _database()
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        config = tmp / f"{label}.toml"
        config.write_text(
            CONFIG.format(
                db=db,
                redis=REDIS,
                prefix=prefix,
                delay=delay,
                workers=workers[0],
                seeds=PROJECT / "seeds",
                model=tmp / "model",
                sitemap=site.sitemap_url,
            ),
            encoding="utf-8",
        )
        _run(config, "init")
        _run(config, "crawl")  # discovery: fills the frontier
        log: TimedLog = site._requests  # type: ignore[assignment]
        before = len(log)
        start = time.monotonic()
        procs, mems = [], []
        for n in workers:
            cfg = config
            if n != workers[0]:
                cfg = tmp / f"{label}-{n}.toml"
                cfg.write_text(
                    config.read_text().replace(
                        f"extract_workers = {workers[0]}", f"extract_workers = {n}"
                    )
                )
            p = subprocess.Popen(
                [NEWSMON, "--config", str(cfg), "-q", "worker", "--until-empty"],
                stderr=subprocess.PIPE,
                text=True,
            )
            procs.append(p)
            mem = TreeMemory(p.pid)
            mem.__enter__()
            mems.append(mem)
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                raise SystemExit(f"worker failed:\n{err[-3000:]}")
        seconds = time.monotonic() - start
        for m in mems:
            m.__exit__()
        pages = sum(1 for path in site.requests()[before:] if path.startswith("/pages/"))
        return Result(
            label,
            pages,
            seconds,
            [sum(m.cpu.values()) for m in mems],
            [m.peak_rss for m in mems],
            [m.peak_pss for m in mems],
            [b - a for a, b in itertools.pairwise(log.times[before:])],
        )
    finally:
        _drop(db)
        _forget(prefix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=0, help="serve only the first N pages")
    parser.add_argument("--delay", type=float, default=0.0, help="download_delay (s)")
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.tsv").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    ids = sorted(p.stem for p in (args.corpus / "pages").glob("*.html"))
    if args.pages:
        ids = ids[: args.pages]
    with tempfile.TemporaryDirectory() as tmp, CorpusSite(args.corpus, page_ids=ids) as site:
        site._requests = TimedLog()
        one = setup("one", [2], site, Path(tmp), args.delay)
        two = setup("two", [1, 1], site, Path(tmp), args.delay)
    mb = 1024 * 1024
    print(f"corpus site: {len(ids)} pages; download_delay {args.delay}s; {os.cpu_count()} CPUs")
    print(
        f"{'setup':<28}{'pages':>6}{'wall s':>9}{'pages/s':>9}{'CPU s':>8}{'CPU s/page':>12}"
        f"  peak RSS per worker"
    )
    for r in (one, two):
        name = "1 worker x 2 extraction" if r is one else "2 workers x 1 extraction"
        cpu = sum(r.cpu)
        print(
            f"{name:<28}{r.pages:>6}{r.seconds:>9.1f}{r.pages / r.seconds:>9.2f}{cpu:>8.1f}"
            f"{cpu / max(r.pages, 1):>12.3f}  "
            + ", ".join(
                f"{k / mb:.0f} MB RSS ({p / mb:.0f} MB PSS)"
                for k, p in zip(r.peak_rss, r.peak_pss, strict=True)
            )
        )
    for r in (one, two):
        if r.gaps:
            print(
                f"spacing seen by the site ({r.label}): min {min(r.gaps) * 1000:.1f} ms, "
                f"median {statistics.median(r.gaps) * 1000:.1f} ms between requests"
            )
    speed = (two.pages / two.seconds) / (one.pages / one.seconds)
    cost = (sum(two.cpu) / max(two.pages, 1)) / (sum(one.cpu) / max(one.pages, 1))
    print(
        f"fleet of two vs one: pages/s {speed:.2f}x (target >= {TARGET_SPEED}x), "
        f"CPU per page {cost:.2f}x (target <= {TARGET_CPU}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
