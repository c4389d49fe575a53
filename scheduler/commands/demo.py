"""``newsmon demo [--keep DIR] [--port N]``: the whole pipeline offline, on a bundled site.

Starts the bundled fictional news site on 127.0.0.1, writes a config with a source of every
kind pointing at it, creates a fresh SQLite database, crawls once (fetch, extract, score,
deduplicate, store), prints the crawl summary and the top relevant stories, and exits. The
config and database live in a temporary folder that is removed afterwards, unless ``--keep``;
the kept config has its sources disabled, since the site stops with the demo.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from crawler.matching.names import names_in
from crawler.runner import run_crawl
from scheduler.commands.crawl import summary_table
from scheduler.config import DATABASE_ENV, load_config
from scheduler.context import Context
from scheduler.crawljob import build_crawl_job
from scheduler.demosite import NewsSite
from scheduler.demosite.democonfig import write_demo_config
from scheduler.paths import project_seeds_dir
from storage.articles import iter_articles
from storage.engine import make_engine, make_session_factory, session_scope
from storage.exceptions import AllSourcesFailedError, UsageError
from storage.migrate import upgrade

TOP_STORIES = 15
DEMO_CRAWL_DELAY = 0.1  # seconds, announced in the demo site's robots.txt
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="crawl a bundled local news site into a fresh database and show the results",
        description="Start a bundled fictional news site on 127.0.0.1, crawl it with a source "
        "of every kind (feeds, sitemaps, a section page) into a fresh SQLite database, and "
        "print the crawl summary and the top relevant stories. Needs no network. "
        "Ignores --config and --database-url.",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the demo config and database in DIR (created if missing) to explore them",
    )
    p.add_argument(
        "--port", type=int, default=0, metavar="N", help="port for the demo site (default: any)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    if args.keep:
        workdir = Path(args.keep).expanduser().resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        if (workdir / "newsmon.db").exists():
            raise UsageError(f"{workdir} already holds a demo database; choose an empty folder")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    try:
        return _demo(args, ctx, workdir, out)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _demo(args: argparse.Namespace, ctx: Context, workdir: Path, out: TextIO) -> int:
    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    # A short Crawl-delay keeps the demo quick; the crawler still reads and honours it.
    with NewsSite(port=args.port, crawl_delay=DEMO_CRAWL_DELAY) as site:
        say(f"demo site: {site.base_url} ({len(site.catalog.visible())} articles published)")
        cfg_path = write_demo_config(workdir, site.base_url, project_seeds_dir())
        try:
            # The demo always uses its own database, whatever the environment says.
            environ = {k: v for k, v in ctx.environ.items() if k != DATABASE_ENV}
            cfg = load_config(str(cfg_path), environ)
            engine = make_engine(cfg.database_url)
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            say(f"config: {cfg_path}")
            say(f"database: {cfg.database_url}")
            job = build_crawl_job(cfg)
            say(f"crawling {len(job.sources)} sources (feeds, sitemaps, a section page)...")
            summary = run_crawl(job, progress=say if ctx.interactive else None)
        finally:
            if args.keep:
                # The site stops with the demo: the kept config must not point at a dead
                # port as if it were a live source.
                write_demo_config(workdir, site.base_url, project_seeds_dir(), site_running=False)
    say()
    say(summary_table(summary))
    say()
    say(top_stories(cfg.database_url, TOP_STORIES))
    if args.keep:
        say()
        say(f"kept in {workdir}. Explore with:")
        say(f"  newsmon --config {cfg_path} stats")
        say(f"  newsmon --config {cfg_path} export --format jsonl --relevant-only")
        say(f"  newsmon --config {cfg_path} export --format csv")
        say(
            "The demo site has stopped, so its sources are disabled in the kept config; "
            "its first lines say how to serve the site again and crawl it."
        )
    if summary.status == "failed":
        raise AllSourcesFailedError(f"every source failed in demo crawl run {summary.run_id}")
    return 0


def _why(title: str, text: str, why: dict[str, Any] | None) -> str:
    """Why it is relevant, in the digest's words: the concepts and the names it matched."""
    concepts = list((why or {}).get("concepts") or {})[:4]
    names = names_in(title, text)
    parts = [
        f"about {', '.join(concepts)}" if concepts else "",
        f"names: {', '.join(names)}" if names else "",
    ]
    return "; ".join(p for p in parts if p)


def top_stories(database_url: str, limit: int) -> str:
    """The best-scoring relevant stories, each with its copies folded under it."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            stored = list(iter_articles(session))
            copies: dict[int, list[str]] = defaultdict(list)
            for art in stored:
                if art.duplicate_of is not None and art.cluster_id is not None:
                    copies[art.cluster_id].append(f"{art.source} {art.url} ({art.duplicate_kind})")
            stories = sorted(
                (a for a in stored if a.relevant and a.duplicate_of is None),
                key=lambda a: (a.relevance_score or 0.0, a.published_at or EPOCH),
                reverse=True,
            )
            folded = sum(len(c) for c in copies.values())
            lines = [
                f"Top relevant stories ({min(limit, len(stories))} of {len(stories)} relevant; "
                f"{len(stored)} articles stored, {folded} "
                f"{'copy' if folded == 1 else 'copies'} folded into their originals):"
            ]
            for rank, art in enumerate(stories[:limit], start=1):
                lines.append(f"{rank:>2}. {art.relevance_score or 0.0:.2f}  {art.title}")
                lines.append(f"      source: {art.source}  {art.url}")
                if why := _why(art.title or "", art.text or "", art.why):
                    lines.append(f"      why: {why}")
                for copy in copies.get(art.cluster_id or -1, []):
                    lines.append(f"      also reported by: {copy}")
    finally:
        engine.dispose()
    return "\n".join(lines)
