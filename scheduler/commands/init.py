"""``newsmon init``: write a commented starter config (if absent), create or upgrade the DB."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TextIO

from scheduler.config import find_config_path, load_config
from scheduler.context import Context
from scheduler.paths import project_seeds_dir
from storage.engine import make_engine
from storage.migrate import upgrade


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="write a starter config and create the database",
        description="Write a commented starter config (unless one exists), create or "
        "upgrade the database, and train the relevance model from the seeds unless one is "
        "saved already. Safe to run again.",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="rewrite an existing config file (the old one is kept as FILE.bak)",
    )
    p.set_defaults(func=run)


def backfill_progress(out: TextIO) -> Callable[[int, int], None]:
    """Progress of the archive backfill: one line redrawn on a terminal, else every 10%."""
    tty = out.isatty()
    shown = [-1]

    def report(done: int, total: int) -> None:
        if total == 0:
            return
        pct = done * 100 // total
        if tty:
            end = "\n" if done >= total else ""
            out.write(f"\rindexing stored articles: {done:,} / {total:,} ({pct}%)" + end)
        elif pct // 10 != shown[0] // 10 or done >= total:
            out.write(f"indexing stored articles: {done:,} / {total:,} ({pct}%)\n")
        shown[0] = pct
        out.flush()

    return report


def write_starter_config(path: Path) -> None:
    """Write the starter config to ``path``; an existing file that differs from it is first
    copied to ``path.bak`` (replacing an older backup), and the output says so."""
    starter = resources.files("scheduler").joinpath("starter_config.toml").read_text("utf-8")
    note = ""
    if path.exists():
        old = path.read_bytes()
        if old != starter.encode("utf-8"):  # the starter itself needs no backup
            backup = path.with_name(path.name + ".bak")
            backup.unlink(missing_ok=True)
            fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(old)
            note = f"; the previous one is kept as {backup}"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter, encoding="utf-8")
    path.chmod(0o600)
    print(f"config: {path} (written{note}; edit the sources and the [digest] section)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    path = find_config_path(ctx.config_path, ctx.environ)
    if path.exists() and not args.force:
        print(f"config: {path} (kept)")
    else:
        write_starter_config(path)
    cfg = load_config(str(path), ctx.environ, database_url=ctx.database_url)
    seeds = cfg.seeds_folder
    if not seeds.exists():
        bundled = project_seeds_dir()
        if bundled.is_dir():
            shutil.copytree(bundled, seeds)
            print(f"seeds: {seeds} (copied from {bundled})")
    engine = make_engine(cfg.database_url)
    try:
        upgrade(
            engine,
            near_threshold=cfg.dedup.near_threshold,
            num_perm=cfg.dedup.num_perm,
            progress=backfill_progress(sys.stderr),
        )
    finally:
        engine.dispose()
    print(f"database: {engine.url.render_as_string(hide_password=True)} (ready)")
    train_if_missing(cfg.resolve(cfg.relevance.model_dir), cfg.seeds_path, cfg.relevance.threshold)
    return 0


def train_if_missing(model_dir: Path, seeds: Path, threshold: float) -> None:
    """Train the relevance model from the seeds and save it, unless one is saved already:
    here rather than in the first crawl, which would otherwise spend a few CPU seconds on it
    while it crawls (issue 16)."""
    from crawler.relevance import ModelStore, load_model

    if ModelStore(model_dir).current_version() is not None:
        print(f"model: {model_dir} (kept)")
        return
    model = load_model(model_dir, seeds, threshold)
    print(f"model: {model_dir} (trained from {seeds}: {model.version})")
