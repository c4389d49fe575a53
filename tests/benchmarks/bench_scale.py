"""Benchmark (issue 11): does a crawl cost the same with a million stored articles as with none?

    python tests/benchmarks/bench_scale.py [--sizes 0,100000] [--million]
        [--backends sqlite,postgresql] [--dir DIR] [--repeat 3]

For each backend and archive size N it fills a synthetic archive (``scale_archive.py``: ~500-word
texts, ~300 hosts, copies, canonical URLs, a year of fetch dates, hourly crawl runs and daily
digests; filled once and kept in --dir for later runs), trains the model once, then runs the
``newsmon`` CLI as a user would, ``--repeat`` times (the median is printed):

- ``crawl`` of a local site with 50 new articles (wall, CPU of the whole process tree, peak RSS
  of the tree and of the crawl process itself);
- ``crawl`` again with nothing new;
- ``digest --dry-run``, ``stats``, ``export --since`` (the last day).

Targets, at 1M against N = 0 in the same run: crawl wall and CPU <= 1.25x; peak memory of the
tree <= the N = 0 figure + 100 MB; recrawl <= 1.5 s; digest, stats and export --since <= 1 s.
1M takes a while to fill (the signer is most of it): it runs with --million.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
NEWSMON = str(Path(sys.executable).parent / "newsmon")
sys.path.insert(0, str(PROJECT))

from tests.benchmarks.bench_crawl import TreeMemory  # noqa: E402

NEW_ARTICLES = 50
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

RELEVANT_PARAGRAPHS = [
    "The Kremlin dismissed the deputy defence minister in the widest purge of the military "
    "leadership in years, and investigators detained two generals accused of bribery.",
    "Analysts said the arrests showed that Putin was tightening his grip on the army after "
    "months of rumours about discontent among senior officers and the security services.",
    "Talk of succession has returned to Moscow as elite factions position themselves, and the "
    "loyalty of regional governors and the siloviki is tested by the war and by sanctions.",
]
OTHER_PARAGRAPHS = [
    "The city council approved a tram extension to the northern suburbs on Monday, adding six "
    "stops that are expected to open in three years, officials said at a press conference.",
    "Farmers in the south reported a record harvest of wheat and sunflower seeds this autumn, "
    "helped by a warm September and by new storage facilities built with regional funds.",
    "The museum will reopen its east wing after a two-year renovation, with a new exhibition of "
    "nineteenth-century landscape painting and a cafe overlooking the river embankment.",
]


class Site:
    """A local news site: an RSS feed of ``NEW_ARTICLES`` article pages under a tag."""

    def __init__(self) -> None:
        self.tag = "t0"
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body, ctype = site.page(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str) -> tuple[bytes, str]:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/rss.xml":
            now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            items = "".join(
                f"<item><title>Story {i}</title><link>{self.base}/{self.tag}/story-{i}.html"
                f"</link><pubDate>{now}</pubDate></item>"
                for i in range(NEW_ARTICLES)
            )
            rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{items}'
            return (rss + "</channel></rss>").encode(), "application/rss+xml"
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[1].startswith("story-"):
            i = int(parts[1][6:].split(".")[0])
            pool = RELEVANT_PARAGRAPHS if i % 3 == 0 else OTHER_PARAGRAPHS
            paras = [f"{p} Report {parts[0]}-{i}, paragraph {k}." for k, p in enumerate(pool * 4)]
            html = (
                f"<html><head><title>Story {i}</title></head><body><article>"
                f"<h1>Story {i} of {parts[0]}</h1>"
                + "".join(f"<p>{p}</p>" for p in paras)
                + "</article></body></html>"
            )
            return html.encode(), "text/html; charset=utf-8"
        return b"", "text/plain"

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Timed:
    wall: float
    cpu: float
    peak_tree: int
    peak_main: int


def run(config: Path, *args: str, measure: bool = False) -> Timed:
    cmd = [NEWSMON, "--config", str(config), "-q", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=PROJECT)
    if measure:
        with TreeMemory(proc.pid) as mem:
            out, _ = proc.communicate()
        peak_tree = mem.peak_rss
        peak_main = next(iter(mem.per_process.values()), 0)
    else:
        out, _ = proc.communicate()
        peak_tree = peak_main = 0
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0,):
        print(out.decode(errors="replace")[-3000:], file=sys.stderr)
        raise SystemExit(f"newsmon {' '.join(args)} exited {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, peak_tree, peak_main)


def write_config(path: Path, url: str, site: Site, model: Path) -> None:
    path.write_text(
        f"""
[storage]
url = "{url}"

[crawl]
user_agent = "newsmon-benchmark/0.1 (+mailto:bench@example.org)"
download_delay = 0
autothrottle = false
max_article_age_days = 0
extract_workers = 2
allow_private_addresses = true

[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{model}"

[digest]
sender = "newsmon@example.org"
recipients = ["analyst@example.org"]

[[sources]]
name = "bench"
url = "{site.base}/rss.xml"
kind = "feed"
max_articles = 1000
""",
        encoding="utf-8",
    )


def database(backend: str, n: int, folder: Path) -> str:
    """The URL of a filled archive of ``n`` articles (made on first use, then kept)."""
    from sqlalchemy import text

    from storage.engine import make_engine
    from storage.migrate import upgrade
    from tests.benchmarks.scale_archive import copy_archive, fill

    if backend == "sqlite":
        path = folder / f"archive-{n}.db"
        url = f"sqlite:///{path}"
        fresh = not path.exists()
    else:
        name = f"newsmon_bench_{n}"
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            fresh = not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if fresh:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    if fresh:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        if backend == "sqlite":
            print(f"filling {backend} archive of {n:,} articles...", file=sys.stderr)
            fill(engine, n, now=dt.datetime.now(dt.UTC))
        else:
            # The same rows as the SQLite archive of this N, copied: filling signs every
            # text again and is ten times slower.
            source = make_engine(database("sqlite", n, folder))
            print(f"copying the sqlite archive of {n:,} articles to {backend}...", file=sys.stderr)
            copy_archive(source, engine)
            source.dispose()
        print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        engine.dispose()
    return url


@dataclass
class Row:
    backend: str
    n: int
    crawl: Timed
    recrawl: float
    digest: float
    stats: float
    export: float


def measure(backend: str, n: int, folder: Path, site: Site, repeat: int) -> Row:
    url = database(backend, n, folder)
    config = folder / f"bench-{backend}-{n}.toml"
    model = folder / "model"
    write_config(config, url, site, model)
    run(config, "init")
    if not model.exists():
        run(config, "train")
    crawls, recrawls, digests, stats, exports = [], [], [], [], []
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    for r in range(repeat):
        site.tag = f"{backend}-{n}-{time.time_ns()}-{r}"
        crawls.append(run(config, "crawl", measure=True))
        recrawls.append(run(config, "crawl").wall)
        digests.append(run(config, "digest", "--dry-run").wall)
        stats.append(run(config, "stats").wall)
        exports.append(run(config, "export", "--since", since, "-o", os.devnull).wall)
    mid = sorted(crawls, key=lambda t: t.wall)[len(crawls) // 2]
    return Row(
        backend,
        n,
        Timed(
            statistics.median(c.wall for c in crawls),
            statistics.median(c.cpu for c in crawls),
            max(c.peak_tree for c in crawls),
            mid.peak_main,
        ),
        statistics.median(recrawls),
        statistics.median(digests),
        statistics.median(stats),
        statistics.median(exports),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,100000")
    parser.add_argument("--million", action="store_true", help="add N = 1,000,000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--dir", type=Path, default=PROJECT / ".bench-scale")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.million and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    args.dir.mkdir(parents=True, exist_ok=True)
    site = Site()
    rows: list[Row] = []
    try:
        for backend in args.backends.split(","):
            for n in sizes:
                rows.append(measure(backend, n, args.dir, site, args.repeat))
                print_row(rows[-1])
    finally:
        site.close()
    print()
    print("| backend | stored N | crawl wall s | crawl CPU s | peak memory, tree (main) | recrawl s"
          " | digest --dry-run s | stats s | export --since s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print_row(row)
    print()
    for backend in args.backends.split(","):
        base = next((r for r in rows if r.backend == backend and r.n == 0), None)
        top = max((r for r in rows if r.backend == backend), key=lambda r: r.n, default=None)
        if base is None or top is None or top.n == 0:
            continue
        mb = (top.crawl.peak_tree - base.crawl.peak_tree) / 2**20
        wall = top.crawl.wall / base.crawl.wall
        print(
            f"{backend}, N = {top.n:,} against N = 0: crawl wall {wall:.2f}x"
            f" (target <= 1.25), CPU {top.crawl.cpu / base.crawl.cpu:.2f}x (<= 1.25), "
            f"peak tree memory {mb:+.0f} MB (<= +100); recrawl {top.recrawl:.2f} s (<= 1.5), "
            f"digest {top.digest:.2f} s, stats {top.stats:.2f} s, export {top.export:.2f} s"
            " (each <= 1)"
        )
    return 0


def print_row(r: Row) -> None:
    mb = 2**20
    print(
        f"| {r.backend} | {r.n:,} | {r.crawl.wall:.2f} | {r.crawl.cpu:.2f} | "
        f"{r.crawl.peak_tree / mb:.0f} MB ({r.crawl.peak_main / mb:.0f} MB) | {r.recrawl:.2f} | "
        f"{r.digest:.2f} | {r.stats:.2f} | {r.export:.2f} |",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
