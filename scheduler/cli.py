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
import ast
import gc
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from storage.exceptions import NewsmonError

logger = logging.getLogger("newsmon")


GLOBAL_OPTIONS_WITH_VALUE = ("--config", "--database-url")


def command_names() -> list[str]:
    """Every module in scheduler/commands is a command; adding one needs no edit here."""
    from scheduler import commands

    return sorted(
        info.name
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    )


def _summary(name: str) -> str:
    """A command's one-line help, read from its module docstring without importing it.

    Importing every command would import scikit-learn, Scrapy and more on every start.
    """
    from scheduler import commands

    path = Path(commands.__path__[0]) / f"{name}.py"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    summary = first.split(":", 1)[1] if "``:" in first else first
    return summary.strip().rstrip(".").replace("``", "")


def _chosen_command(argv: Sequence[str], names: list[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in names else None
    return None


class _HelpAction(argparse.Action):
    """``newsmon -h``: prints the help of a parser built with every command's summary.

    Reading the summaries parses each command module (about 15 ms), which only this help
    shows: the parser that runs a command lists the others without them.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, only: str | None) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show this help message and exit",
        )
        self.only = only

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        build_parser(self.only).print_help()
        parser.exit()


class _VersionAction(argparse.Action):
    """``newsmon --version``: ``newsmon 0.1.0``, read from the installed package's metadata
    only when asked (a lookup on every start would cost for nothing)."""

    def __init__(self, option_strings: Sequence[str], dest: str) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="print the version and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("newsmon")
        except PackageNotFoundError:
            number = "(version unknown: not installed; run pip install -e .)"
        print(f"newsmon {number}")
        parser.exit()


def build_parser(only: str | None = None, *, summaries: bool = True) -> argparse.ArgumentParser:
    """The parser. Only the ``only`` command's module is imported and registered in full;
    the others are listed (for ``--help``) from their docstrings, read only if ``summaries``
    (``-h`` shows a parser built with them either way)."""
    parser = argparse.ArgumentParser(
        prog="newsmon",
        description="Scheduled news monitoring: crawl, score, deduplicate, store, digest.",
        epilog="Run `newsmon COMMAND --help` for a command's options.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action=_HelpAction, only=only)
    parser.add_argument("--version", action=_VersionAction)
    _add_global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in command_names():
        if name == only:
            importlib.import_module(f"scheduler.commands.{name}").register(sub)
        elif summaries:
            sub.add_parser(name, help=_summary(name))
        else:
            sub.add_parser(name)
    for command in _subparsers(parser):
        _add_global_options(command, after_command=True)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """``--config``, ``--database-url``, ``-v`` and ``-q``, before or after the command name.

    After it, they default to nothing (``SUPPRESS``), so that a command's parser never
    overwrites a value given before the command; ``-v`` counts there into ``verbose_after``,
    which :func:`_parse` adds to the ``-v`` given before.
    """
    unset = argparse.SUPPRESS if after_command else None
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=unset,
        help="config file (default: $NEWSMON_CONFIG, else ./newsmon.toml)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=unset,
        help="override [storage].url (also $NEWSMON_DATABASE_URL)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest="verbose_after" if after_command else "verbose",
        default=argparse.SUPPRESS if after_command else 0,
        help="more log output (-vv: debugging, with Scrapy's own messages)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if after_command else False,
        help="only warnings and errors",
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser below ``parser``, subcommands (``seeds add``) included."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += [child, *_subparsers(child)]
    return found


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


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` (importing the chosen command's module) and set up logging."""
    parser = build_parser(only=_chosen_command(argv, command_names()), summaries=False)
    args = parser.parse_args(argv)
    args.verbose += vars(args).pop("verbose_after", 0)
    _setup_logging(args.verbose, args.quiet)
    return args


def _dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command; returns its exit status."""
    # Imported here, not at the top: this module is also the ``newsmon`` script's, and every
    # extraction worker re-imports the main module at start-up (multiprocessing's forkserver
    # does), so a top-level import would load SQLAlchemy and the config code in each worker
    # (measured: about 0.5 s of CPU and 40 MB apiece).
    from scheduler.context import Context

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


def main(argv: Sequence[str] | None = None) -> int:
    return _dispatch(_parse(list(sys.argv[1:] if argv is None else argv)))


def _prestart_extraction() -> None:
    """Start the extraction forkserver before the crawl's own imports, so that its warm-up
    (trafilatura's imports and a first page, about 0.5 CPU s) runs beside them on another core
    instead of after the first article is fetched. An hourly crawl that finds 5 new articles on
    a site of 200 took 1.21 s instead of 1.68 (median of 6 alternating runs); one that finds
    none took 0.89 s instead of 0.83, and 0.6 CPU s more: its forkserver is stopped at exit
    (crawler/extraction/pool.py), so it never holds the output or the exit (issue 16).

    Not on a single core, where the warm-up would only slow the imports it runs beside."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2:
        return
    from crawler.extraction.pool import prestart_forkserver
    from crawler.extraction.tasks import WORKER_PRELOAD

    prestart_forkserver(WORKER_PRELOAD)


def console_main() -> NoReturn:
    """The ``newsmon`` script (and ``python -m scheduler.cli``): ``main()``, then exit.

    For ``crawl``, the extraction forkserver is started first (:func:`_prestart_extraction`).

    Two uses of the garbage collector that belong to the script's own process only (tests
    call ``main()`` many times in one process, where freezing would pin their garbage):

    - While the command's modules are imported (Scrapy, Twisted, SQLAlchemy: 700-odd modules
      for a crawl), the collector is off, and what they allocated is frozen once they are in.
      Imports create hardly any garbage (about 1,600 objects for a crawl, pinned once, also
      in the long-running daemon), yet the collections they trigger, full ones included, took
      about 0.1 s of a crawl with nothing new, and later collections would walk those
      objects again.
    - Before the interpreter exits, the heap is frozen again: its final collections would
      otherwise walk everything once more (about 0.15 s). Output is flushed first; atexit
      handlers still run.
    """
    try:
        if _chosen_command(sys.argv[1:], command_names()) == "crawl":
            _prestart_extraction()
        gc.disable()
        try:
            args = _parse(sys.argv[1:])
        finally:
            gc.freeze()
            gc.enable()
        code = _dispatch(args)
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _reader_gone()
    gc.freeze()
    sys.exit(code)


def _reader_gone() -> NoReturn:
    """stdout's reader went away (``newsmon review show 7 | head -1``): stop quietly with the
    status a process SIGPIPE ended gets from the shell, as other Unix tools do.

    stdout is pointed at /dev/null first: the interpreter flushes it again at exit, and that
    would fail once more with a message on stderr (the recipe of Python's signal docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + 13)  # 128 + SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    console_main()
