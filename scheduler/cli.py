"""The ``newsmon`` command: parses arguments, loads the config once, dispatches a command.

Each command lives in its own module under ``scheduler/commands`` (modules whose name starts
with ``_`` are helpers, not commands) and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args, ctx) -> int``. Exit statuses (documented in the README):

    0 success, 1 unexpected error, 2 usage or config error, 3 every source failed,
    4 another run holds the lock, 5 the digest could not be delivered.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from scheduler.context import Context
from storage.exceptions import NewsmonError

logger = logging.getLogger("newsmon")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmon",
        description="Scheduled news monitoring: crawl, score, deduplicate, store, digest.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $NEWSMON_CONFIG, else ./newsmon.toml)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="override [storage].url (also $NEWSMON_DATABASE_URL)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from scheduler import commands

    # Every module in scheduler/commands is a command; adding one needs no edit here.
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"scheduler.commands.{info.name}")
        module.register(sub)
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if verbose < 2:
        # Scrapy's per-request chatter is for debugging, not for users.
        for name in (
            "scrapy",
            "twisted",
            "trafilatura",
            "htmldate",
            "courlan",
            "filelock",
            "alembic",
        ):
            logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    ctx = Context(
        config_path=args.config,
        database_url=args.database_url,
        environ=dict(os.environ),
        interactive=sys.stdout.isatty() and not args.quiet,
    )
    try:
        code: int = args.func(args, ctx)
    except NewsmonError as exc:
        print(f"newsmon: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsmon: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
