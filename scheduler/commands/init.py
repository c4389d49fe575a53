"""``newsmon init``: write a commented starter config (if absent), create or upgrade the DB."""

from __future__ import annotations

import argparse
import shutil
from importlib import resources

from scheduler.config import find_config_path, load_config
from scheduler.context import Context
from scheduler.paths import project_seeds_dir
from storage.engine import make_engine
from storage.migrate import upgrade


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="write a starter config and create the database",
        description="Write a commented starter config (unless one exists) and create or "
        "upgrade the database. Safe to run again.",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing config file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    path = find_config_path(ctx.config_path, ctx.environ)
    if path.exists() and not args.force:
        print(f"config: {path} (kept)")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        starter = resources.files("scheduler").joinpath("starter_config.toml")
        path.write_text(starter.read_text(encoding="utf-8"), encoding="utf-8")
        path.chmod(0o600)
        print(f"config: {path} (written; edit the sources and the [digest] section)")
    cfg = load_config(str(path), ctx.environ, database_url=ctx.database_url)
    seeds = cfg.seeds_folder
    if not seeds.exists():
        bundled = project_seeds_dir()
        if bundled.is_dir():
            shutil.copytree(bundled, seeds)
            print(f"seeds: {seeds} (copied from {bundled})")
    engine = make_engine(cfg.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print(f"database: {engine.url.render_as_string(hide_password=True)} (ready)")
    return 0
