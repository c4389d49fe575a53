"""``newsmon stats [--json] [--runs N]``: totals, per-source counts and health, last crawl runs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

from scheduler.commands._fleetstats import fleet_section
from scheduler.context import Context
from storage.export import iso
from storage.queries import RunStat, SourceStat, Totals, recent_runs, source_stats, totals
from storage.watch import WatchStat, watch_stats


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats",
        help="what is stored, source health, recent crawl runs",
        description="Show totals (articles, relevant, duplicates, story clusters), per-source "
        "counts and health, and the most recent crawl runs.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    p.add_argument(
        "--runs",
        type=_count,
        default=5,
        metavar="N",
        help="crawl runs to show (5; 0 leaves the section out)",
    )
    p.add_argument(
        "--frontier", metavar="URL", help="the fleet's Redis frontier (default: [fleet])"
    )
    p.set_defaults(func=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {text!r}")
    return value


def _jsonable(obj: Any) -> Any:
    data = dataclasses.asdict(obj)
    for key, value in data.items():
        if hasattr(value, "isoformat"):
            data[key] = iso(value)
    return data


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [[("-" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _when(value: Any) -> str | None:
    text = iso(value)
    return text[:19].replace("T", " ") if text else None


def render(
    t: Totals,
    sources: list[SourceStat],
    runs: list[RunStat] | None,
    watch: list[WatchStat] | None = None,
) -> str:
    """The human-readable report; ``runs`` None leaves the crawl runs out (``--runs 0``)."""
    out = [
        f"articles {t.articles}   relevant {t.relevant}   duplicates {t.duplicates}   "
        f"stories (clusters) {t.clusters}",
        "",
        "Sources",
    ]
    if sources:
        out += _table(
            ("name", "articles", "relevant", "dups", "last article", "last ok", "fails", "error"),
            [
                (
                    s.name,
                    s.articles,
                    s.relevant,
                    s.duplicates,
                    _when(s.last_fetched_at),
                    _when(s.last_success_at),
                    s.consecutive_failures,
                    (s.last_error or "")[:60] or None,
                )
                for s in sources
            ],
        )
        skipped = [s for s in sources if s.skipped_text]
        if skipped:
            out += ["", "Not fetched in each source's last crawl with entries"]
            for s in skipped:
                flag = (
                    f"  HELD BACK BY A FILTER for {s.filtered_runs} runs"
                    if s.held_by_filter
                    else ""
                )
                out.append(f"  {s.name}: {s.last_new} new; {s.skipped_text}{flag}")
    else:
        out.append("(none yet: run `newsmon crawl`)")
    if watch:
        out += ["", "Watch-lists (articles matched)"]
        out += _table(
            ("rule", "articles", "last match"),
            [(w.rule, w.articles, _when(w.last_matched_at)) for w in watch],
        )
    if runs is None:
        return "\n".join(out) + "\n"
    out += ["", "Recent crawl runs (UTC)"]
    if runs:
        out += _table(
            ("run", "started", "status", "fetched", "new", "relevant", "dups", "304", "errors"),
            [
                (
                    r.id,
                    _when(r.started_at),
                    r.status,
                    r.fetched,
                    r.new,
                    r.relevant,
                    r.duplicates,
                    r.not_modified,
                    r.errors,
                )
                for r in runs
            ],
        )
    else:
        out.append("(no crawl yet)")
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace, ctx: Context) -> int:
    fleet = fleet_section(ctx.config, getattr(args, "frontier", None))
    with ctx.sessions() as session:
        t = totals(session)
        sources = source_stats(session)
        runs = recent_runs(session, args.runs) if args.runs else []
        watch = watch_stats(session)
    if args.json:
        report = {
            "totals": dataclasses.asdict(t),
            "sources": [_jsonable(s) for s in sources],
            "runs": [_jsonable(r) for r in runs],
            "watch": [_jsonable(w) for w in watch],
        }
        if fleet is not None:
            report["fleet"] = fleet.as_json()
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(t, sources, runs if args.runs else None, watch))
        if fleet is not None:
            sys.stdout.write(fleet.render())
    return 0
