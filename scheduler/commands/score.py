"""``newsmon score FILE... | -``: score text or HTML files, or JSONL from standard input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from crawler.relevance import RelevanceModel
from crawler.relevance.htmltext import html_to_text, looks_like_html
from scheduler.commands._relevance import current_model
from scheduler.context import Context
from storage.exceptions import UsageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "score",
        help="score text/HTML files or JSONL on stdin against the topic",
        description="Score files (plain text, or HTML: the article is extracted first) or, with "
        '`-`, JSON lines {"id", "title", "text"} read from standard input. Writes one JSON '
        'line per input, in order: {"id", "score", "relevant", "why"}.',
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="files to score, or - for JSONL stdin")
    p.set_defaults(func=run)


def _from_stdin() -> Iterator[tuple[object, str | None, str]]:
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise UsageError(f"stdin line {n}: not JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise UsageError(f"stdin line {n}: expected a JSON object")
        yield obj.get("id", n), obj.get("title"), str(obj.get("text") or "")


def _from_files(files: list[str]) -> Iterator[tuple[object, str | None, str]]:
    for name in files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror}") from exc
        if path.suffix.lower() in (".html", ".htm") or looks_like_html(data):
            title, text = html_to_text(data, path.resolve().as_uri())
        else:
            title, text = None, data.decode("utf-8", errors="replace")
        yield name, title, text


def run(args: argparse.Namespace, ctx: Context) -> int:
    files: list[str] = args.files
    if "-" in files and len(files) > 1:
        raise UsageError("`-` (JSONL on stdin) cannot be mixed with file names")
    model: RelevanceModel = current_model(ctx)
    inputs = _from_stdin() if files == ["-"] else _from_files(files)
    for ident, title, text in inputs:
        s = model.score(title, text)
        line = {"id": ident, "score": s.score, "relevant": s.relevant, "why": s.why}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0
