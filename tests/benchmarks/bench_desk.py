"""Benchmark (issue 13): server time of the review desk's pages on a big archive.

    python tests/benchmarks/bench_desk.py [--sizes 10000] [--backends sqlite]
        [--dir DIR] [--repeat 7]

For each backend and size N it fills a synthetic archive with the scale benchmark's fill
(``scale_archive.py``, kept in --dir for later runs), serves the desk with uvicorn on
127.0.0.1 and times, from a client on the same machine (median of --repeat requests after one
warm-up): the inbox, an article page (a relevant story with copies), and a filtered search
(a word, relevant only, the last 90 days, best match first). The issue's runs are
``--sizes 100000,1000000`` on SQLite and ``--sizes 100000 --backends postgresql``; filling 1M
takes a long while (the signer is most of it). Targets: inbox and article <= 100 ms, search
<= 300 ms at 1M.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

TARGETS = {"inbox": 0.100, "article": 0.100, "search": 0.300}


def _serve(url: str, folder: Path) -> tuple[str, object, threading.Thread]:
    import socket

    import uvicorn

    from scheduler.context import Context
    from scheduler.desk.app import DeskState, create_app

    cfg = Path(tempfile.mkdtemp(dir=folder)) / "newsmon.toml"
    cfg.write_text(f'[storage]\nurl = "{url}"\n\n[ui]\nreviewer = "bench"\n', encoding="utf-8")
    app = create_app(DeskState(ctx=Context(config_path=str(cfg))))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _targets(url: str) -> dict[str, str]:
    """An article page with copies, and a search word present in many texts."""
    from sqlalchemy import func, select

    from storage.engine import make_engine
    from storage.models import Article

    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            select(Article.cluster_id)
            .where(Article.duplicate_of.is_not(None), Article.relevant.is_(True))
            .order_by(Article.id.desc())
            .limit(1)
        ).first()
        article = row[0] if row else conn.execute(select(func.max(Article.id))).scalar()
        text = conn.execute(select(Article.text).where(Article.id == article)).scalar() or ""
    engine.dispose()
    word = sorted(text.split(), key=len)[len(text.split()) // 2] if text else "news"
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).date().isoformat()
    return {
        "inbox": "/",
        "article": f"/story/{article}",
        "search": f"/search?q={word}&relevant=yes&fetched_from={since}&sort=match",
    }


def measure(url: str, folder: Path, repeat: int) -> dict[str, float]:
    import httpx

    base, server, thread = _serve(url, folder)
    out: dict[str, float] = {}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for name, path in _targets(url).items():
                assert client.get(path).status_code == 200, path  # warm-up
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    r = client.get(path)
                    times.append(time.perf_counter() - started)
                    assert r.status_code == 200
                out[name] = statistics.median(times)
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)
    return out


def archive(backend: str, n: int, folder: Path) -> str:
    """A filled archive at the current schema: SQLite from the scale benchmark's fill; on
    PostgreSQL a database of the desk's own (``newsmon_desk_bench_N``) holding a COPY of it."""
    from sqlalchemy import text

    from storage.engine import make_engine
    from storage.migrate import upgrade
    from tests.benchmarks.bench_scale import PG_ADMIN, database
    from tests.benchmarks.scale_archive import copy_archive

    url = database("sqlite", n, folder)
    engine = make_engine(url)
    upgrade(engine)  # an archive made before 0005 gets its search index here
    engine.dispose()
    if backend == "sqlite":
        return url
    name = f"newsmon_desk_bench_{n}"
    pg_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        fresh = not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = make_engine(pg_url)
    if fresh:
        upgrade(target)
        source = make_engine(url)
        print(f"copying the sqlite archive of {n:,} articles to postgresql...", file=sys.stderr)
        copy_archive(source, target)
        source.dispose()
        with target.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    target.dispose()
    return pg_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--dir", type=Path, default=PROJECT / ".bench-desk")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    args.dir.mkdir(exist_ok=True)
    print(f"{'backend':<11} {'N':>9}  {'inbox':>9} {'article':>9} {'search':>9}")
    for backend in args.backends.split(","):
        for n in (int(x) for x in args.sizes.split(",")):
            url = archive(backend, n, args.dir)
            t = measure(url, args.dir, args.repeat)
            print(
                f"{backend:<11} {n:>9,}  "
                + " ".join(f"{t[k] * 1000:>6.1f} ms" for k in ("inbox", "article", "search"))
            )
    print("targets: " + ", ".join(f"{k} <= {v * 1000:.0f} ms" for k, v in TARGETS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
