"""``newsmon export``: write the stored articles as JSONL or CSV, one per line or row.

Streams stored articles (never the whole archive in memory) as JSON lines or CSV with the
stable fields of :data:`storage.export.EXPORT_FIELDS`. Dates are ISO-8601 UTC. A file given
with ``--output`` is written next to its final name and renamed at the end, so a reader
never sees half an export.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from scheduler.context import Context
from storage.articles import iter_articles
from storage.exceptions import NewsmonError, UsageError
from storage.export import EXPORT_FIELDS, export_row


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="write stored articles as JSON lines or CSV",
        description="Write stored articles, oldest first, one JSON object per line (jsonl) or "
        f"one CSV row each, with the fields: {', '.join(EXPORT_FIELDS)}. Dates are ISO-8601 "
        "UTC; in CSV, `why` is a JSON string and booleans are true/false.",
    )
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="default: jsonl")
    p.add_argument(
        "--since",
        metavar="DATE",
        type=parse_since,
        help="only articles fetched at or after DATE (ISO-8601: 2026-05-01 or "
        "2026-05-01T08:00+02:00; no offset means UTC)",
    )
    p.add_argument("--relevant-only", action="store_true", help="only articles scored relevant")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def parse_since(value: str) -> dt.datetime:
    """An ISO-8601 date or date-time; naive values are UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 date (e.g. 2026-05-01 or 2026-05-01T08:00:00+00:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


@contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    final = Path(path)
    if final.is_dir():
        raise UsageError(f"--output {path}: is a directory")
    tmp = final.with_name(f".{final.name}.part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, final)
    except OSError as exc:
        raise NewsmonError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def run(args: argparse.Namespace, ctx: Context) -> int:
    try:
        count = _export(args, ctx)
    except BrokenPipeError:
        # `newsmon export | head`: the reader has what it wanted. Point stdout at /dev/null so
        # the interpreter's final flush does not report the pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    if args.output:
        print(f"exported {count} article(s) to {args.output}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace, ctx: Context) -> int:
    count = 0
    with ctx.sessions() as session, _open_output(args.output) as out:
        rows = (
            export_row(a)
            for a in iter_articles(session, since=args.since, relevant_only=args.relevant_only)
        )
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(v) for k, v in row.items()})
                count += 1
        else:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count
