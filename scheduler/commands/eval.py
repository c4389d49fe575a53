"""``newsmon eval FILE.jsonl``: check the model on your own labelled sample."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.relevance.corpus import read_jsonl
from crawler.relevance.evaluation import format_report
from scheduler.commands._relevance import current_model
from scheduler.context import Context
from storage.exceptions import UsageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "eval",
        help="precision, recall, F1 and threshold curve on a labelled JSONL file",
        description="Score a labelled sample and print precision, recall, F1, the confusion "
        "matrix and the threshold curve. Each line of FILE is a JSON object with `text` (or "
        "`html`) and `label` (true/false, 1/0, or rel/near/irr), optionally `id` and `title`.",
    )
    p.add_argument("file", metavar="FILE.jsonl", help="labelled sample")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="threshold to report at (default: [relevance].threshold)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    docs = read_jsonl(path)
    if not docs:
        raise UsageError(f"{path} holds no labelled items")
    model = current_model(ctx)
    threshold = ctx.config.relevance.threshold if args.threshold is None else args.threshold
    scores = [model.score(d.title, d.text).score for d in docs]
    print(f"model: {model.version}")
    print(format_report(scores, [d.relevant for d in docs], threshold, [d.kind for d in docs]))
    return 0
