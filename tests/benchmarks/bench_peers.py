"""Benchmark (issue 16): newsmon's per-page cost beside the tools a user would otherwise run.

    python tests/benchmarks/bench_peers.py [--corpus DIR] [--workers N] [--keep DIR] [--rounds 3]

One local site (every corpus page, keep-alive, no Nagle stalls, no politeness delay) and, in one
run: ``newsmon crawl`` (fresh database; ``newsmon init`` trained the model beforehand), the
trafilatura CLI over the same page URLs (``-i urls.txt --parallel N``; its settings file turns
SSRF protection off, for loopback, and SLEEP_TIME to 0), and ``trafilatura.extract`` alone on 1
and N processes. newsmon and the CLI run alternately ``--rounds`` times (each newsmon round on
a fresh database; newsmon first in odd rounds, the CLI first in even ones); the ratios use
each figure's median, as these machines are noisy. For each: pages/s (wall time of the
command, as a user waits for it; for extraction alone, of its extraction loop), CPU per page
(user + system of the whole process tree, start-up included: this script is the tree's child
subreaper, so every descendant's rusage is collected), and the peak PSS of the tree (polled
from /proc/*/smaps_rollup). Then the hourly case: a site with 200 pages stored gets 5 new
ones (one crawl), then none (another).

The pages/s ratio is also printed round by round (each round's two runs are minutes apart at
most), with its median: on a machine whose speed drifts, that pairing is the steadier figure.

The none-new line also gives the time a bare interpreter takes to import what any crawl
needs (Scrapy, Twisted's asyncio reactor, SQLAlchemy's ORM): the floor under that figure.

Targets (issue 16): newsmon pages/s >= 1.25 x the CLI's; CPU per page <= 2 x extraction alone;
peak PSS <= 250 MB; hourly: 5 new <= 1.5 s wall and <= 2 CPU s, none new <= 0.6 s.
"""

from __future__ import annotations

import argparse
import compileall
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(PROJECT))

from tests.benchmarks.bench_crawl import CONFIG, TreeMemory  # noqa: E402
from tests.benchmarks.bench_extraction import DEFAULT_CORPUS  # noqa: E402
from tests.corpus.corpus_site import CorpusSite  # noqa: E402

HOURLY_STORED, HOURLY_NEW = 200, 5
# What any crawl of newsmon's must import before it does anything: Scrapy (with Twisted's
# asyncio reactor, which Scrapy installs) and SQLAlchemy's ORM (the archive). The none-new
# hourly run is printed next to the time these imports take alone, in a bare interpreter.
IMPORT_FLOOR = "import scrapy.crawler, scrapy.http, twisted.internet.asyncioreactor, sqlalchemy.orm"
_PR_SET_CHILD_SUBREAPER = 36

TRAFILATURA_SETTINGS = """\
[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = off
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 0
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""

# Extraction alone: the corpus pages read into memory, then trafilatura.extract over them on
# one process or a pool (each worker warmed first); prints the loop's wall seconds.
EXTRACT_ALONE = """\
import sys, time
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
import trafilatura

def work(path):
    body = Path(path).read_bytes()
    return trafilatura.extract(body, url="http://localhost/" + Path(path).name) is not None

def warm(_):
    return work(sys.argv[2])

paths, n = sys.argv[2:], int(sys.argv[1])
if n == 1:
    warm(0)
    start = time.perf_counter()
    done = sum(map(work, paths))
else:
    with ProcessPoolExecutor(n) as pool:
        list(pool.map(warm, range(n)))
        start = time.perf_counter()
        done = sum(pool.map(work, paths, chunksize=4))
print(time.perf_counter() - start, done)
"""


@dataclass
class Measured:
    wall: float  # seconds, the command as a user waits for it
    cpu: float  # user + system seconds of every process of the tree
    peak_pss: int  # bytes
    output: str
    per_process: dict[str, float]  # "pid name" -> CPU seconds, sampled from /proc


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], cwd: Path = PROJECT) -> Measured:
    """Run ``cmd``; wall time, the CPU of its whole tree (orphans included) and peak PSS."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd)
    with TreeMemory(proc.pid) as mem:
        out, _ = proc.communicate()
    wall = time.perf_counter() - start
    reap_orphans()
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        print(text[-3000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(cmd[:3])} exited {proc.returncode}")
    return Measured(wall, children_cpu() - cpu_before, mem.peak_pss, text, mem.cpu)


def reap_orphans() -> None:
    """Wait for descendants re-parented to this (subreaper) process, e.g. a forkserver that
    outlived its crawl for a moment, so that their CPU is counted too."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("warning: not a child subreaper; orphans' CPU is not counted", file=sys.stderr)


def newsmon(config: Path, *args: str) -> list[str]:
    return [str(BIN / "newsmon"), "--config", str(config), *args]


def write_config(work: Path, sitemap: str, workers: int, model: Path) -> Path:
    config = work / "newsmon.toml"
    text = CONFIG.format(
        db=work / "newsmon.db",
        workers=workers,
        seeds=PROJECT / "seeds",
        model=model,
        sitemap=sitemap,
    )
    config.write_text(text)
    return config


def served(site: CorpusSite) -> int:
    return sum(1 for p in site.requests() if p.startswith("/pages/"))


def row(name: str, pages: int, m: Measured, loop_wall: float | None = None) -> dict[str, float]:
    wall = loop_wall if loop_wall is not None else m.wall
    r = {"rate": pages / wall, "cpu_ms": 1000 * m.cpu / pages, "pss": m.peak_pss / 2**20}
    print(
        f"| {name} | {r['rate']:.1f} | {r['cpu_ms']:.0f} | {r['pss']:.0f} MB |"
        f"  ({pages} pages, {wall:.2f} s wall, {m.cpu:.2f} CPU s)"
    )
    return r


def median_row(name: str, runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds."""
    r = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(f"| **{name}** | {r['rate']:.1f} | {r['cpu_ms']:.0f} | {r['pss']:.0f} MB |")
    return r


def print_processes(m: Measured) -> None:
    """Where the CPU went, per process (last /proc sample of each: a lower bound)."""
    for name, cpu in sorted(m.per_process.items(), key=lambda kv: -kv[1]):
        if name.strip().isdigit():  # sampled as it exited, without its command line
            continue
        print(f"    {cpu:6.2f} CPU s  {name}")


def extraction_alone(corpus: Path, n: int) -> tuple[Measured, float, int]:
    paths = sorted(str(p) for p in (corpus / "pages").glob("*.html"))
    m = measure([sys.executable, "-c", EXTRACT_ALONE, str(n), *paths])
    loop_wall, _ = m.output.split()[-2:]
    return m, float(loop_wall), len(paths)


def hourly(work: Path, corpus: Path, workers: int, model: Path) -> None:
    """A site with HOURLY_STORED pages crawled before, then HOURLY_NEW new ones, then none."""
    ids = sorted(p.stem for p in (corpus / "pages").glob("*.html"))
    site = CorpusSite(corpus, page_ids=ids[:HOURLY_STORED])
    work.mkdir(parents=True, exist_ok=True)
    with site:
        config = write_config(work, site.sitemap_url, workers, model)
        subprocess.run(newsmon(config, "init"), check=True, capture_output=True, cwd=PROJECT)
        measure(newsmon(config, "crawl", "-q"))  # the archive: not timed
        site.page_ids = ids[: HOURLY_STORED + HOURLY_NEW]
        before = served(site)
        five = measure(newsmon(config, "crawl", "-q"))
        fetched = served(site) - before
        nones = [measure(newsmon(config, "crawl", "-q")) for _ in range(3)]
    none = sorted(nones, key=lambda m: m.wall)[1]
    floors = sorted(measure([sys.executable, "-c", IMPORT_FLOOR]).wall for _ in range(3))
    print_processes(five)
    print(
        f"hourly, {HOURLY_NEW} new ({fetched} fetched) on a site with {HOURLY_STORED} pages "
        f"crawled: {five.wall:.2f} s wall, {five.cpu:.2f} CPU s (targets <= 1.5 s, <= 2 CPU s)"
    )
    print(
        f"hourly, none new: {none.wall:.2f} s wall, {none.cpu:.2f} CPU s (median of 3: "
        f"{', '.join(f'{m.wall:.2f}' for m in nones)} s; target <= 0.6 s); importing Scrapy, "
        f"Twisted's asyncio reactor and SQLAlchemy's ORM alone: {floors[1]:.2f} s (median of 3)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="keep the databases and configs here")
    parser.add_argument("--no-peers", action="store_true", help="newsmon and the hourly case")
    parser.add_argument(
        "--rounds", type=int, default=3, help="newsmon and the CLI, alternately (medians)"
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.tsv").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    become_subreaper()
    # newsmon as installed: byte-compiled (see bench_crawl.py).
    for package in ("crawler", "scheduler", "storage"):
        compileall.compile_dir(PROJECT / package, quiet=1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsmon-peers-"))
    shutil.rmtree(work / "crawl", ignore_errors=True)
    shutil.rmtree(work / "hourly", ignore_errors=True)
    (work / "crawl").mkdir(parents=True)
    n = args.workers

    print("| system | pages/s | CPU ms per page | peak PSS of the tree |")
    print("|---|---|---|---|")
    rows: dict[str, dict[str, float]] = {}
    with CorpusSite(args.corpus) as site:
        model = work / "crawl" / "model"
        urls = work / "urls.txt"
        urls.write_text("".join(site.base_url + p + "\n" for p in site.page_paths()))
        settings = work / "trafilatura.cfg"
        settings.write_text(TRAFILATURA_SETTINGS)
        cli_cmd = [str(BIN / "trafilatura"), "--config-file", str(settings)]
        ours_runs: list[dict[str, float]] = []
        cli_runs: list[dict[str, float]] = []

        # newsmon and the CLI alternate, so that a slow spell of a noisy machine hits both.
        def run_newsmon(round_no: int) -> None:
            crawl_dir = work / "crawl" / f"round-{round_no}"
            crawl_dir.mkdir(parents=True)
            config = write_config(crawl_dir, site.sitemap_url, n, model)
            subprocess.run(newsmon(config, "init"), check=True, capture_output=True, cwd=PROJECT)
            before = served(site)
            m = measure(newsmon(config, "crawl"))
            name = f"`newsmon crawl` (fresh database, {n} workers), round {round_no}"
            ours_runs.append(row(name, served(site) - before, m))
            print_processes(m)

        def run_cli(round_no: int) -> None:
            before = served(site)
            m = measure([*cli_cmd, "-i", str(urls), "--parallel", str(n)])
            name = f"`trafilatura -i urls.txt --parallel {n}`, round {round_no}"
            cli_runs.append(row(name, served(site) - before, m))

        for round_no in range(1, args.rounds + 1):
            if args.no_peers:
                run_newsmon(round_no)
            elif round_no % 2:
                run_newsmon(round_no)
                run_cli(round_no)
            else:  # the other one first: a drift within a round favours neither
                run_cli(round_no)
                run_newsmon(round_no)
        rows["newsmon"] = median_row(f"`newsmon crawl`, median of {args.rounds}", ours_runs)
        if cli_runs:
            rows["cli"] = median_row(f"trafilatura CLI, median of {args.rounds}", cli_runs)
    if not args.no_peers:
        for procs in sorted({1, n}):
            m, loop, count = extraction_alone(args.corpus, procs)
            name = f"`trafilatura.extract` alone, {procs} proc"
            rows[f"alone{procs}"] = row(name, count, m, loop)
        cli, ours, alone = rows["cli"], rows["newsmon"], rows[f"alone{n}"]
        # Each round's newsmon and CLI ran one after the other, in the same spell of the
        # machine's speed: their ratio drifts less than the ratio of the two medians.
        paired = [o["rate"] / c["rate"] for o, c in zip(ours_runs, cli_runs, strict=True)]
        print(
            "newsmon / CLI pages/s, round by round: "
            + ", ".join(f"{r:.2f}" for r in paired)
            + f" (median {statistics.median(paired):.2f})"
        )
        print(
            f"ratios: newsmon / CLI pages/s {ours['rate'] / cli['rate']:.2f} (target >= 1.25); "
            f"CPU per page / extraction alone ({n} proc) {ours['cpu_ms'] / alone['cpu_ms']:.2f} "
            f"(target <= 2); peak PSS {ours['pss']:.0f} MB (target <= 250)"
        )
    hourly(work / "hourly", args.corpus, n, model)
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
