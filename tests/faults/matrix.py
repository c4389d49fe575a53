"""One crawl of the whole fault site, and the per-fault table made from what it stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults import harness
from tests.faults.catalog import Fault
from tests.faults.catalog_types import RETRY_AFTER_S
from tests.faults.site import FaultSite

TIMEOUT = 2.0  # the crawl's download timeout
# The slow faults last ten times longer: a crawler whose event loop stalls for a few seconds
# (CPU-bound parsing on the reactor thread) reads a late answer before its timer fires.
SLOW = 10 * TIMEOUT


@dataclass
class Row:
    """One fault's outcome. ``junk``: rows stored from fault pages that hold no article;
    ``garbled``: a good article found by its marker whose sentence came out wrong."""

    fault: Fault
    requests: int
    expected: int
    stored: int
    doubled: int
    junk: int
    garbled: int
    errors: int | None
    last_error: str | None
    log_lines: int
    counters: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> bool:
        """The fault shows in crawl_run_sources.errors or in a non-routine stats counter."""
        return bool(self.errors) or any(v for v in self.counters.values())

    @property
    def lost(self) -> int:
        return self.expected - self.stored


@dataclass
class MatrixResult:
    rows: list[Row]
    crawl: harness.CrawlRun
    run: dict[str, Any] | None
    stats: dict[str, Any] = field(default_factory=dict)
    retry_gaps: dict[str, float | None] = field(default_factory=dict)
    stored_urls: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.lost == 0 and r.doubled == 0 for r in self.rows)


def run_matrix(workdir: Path, *, slow: float = SLOW) -> MatrixResult:
    """Serve the fault site, crawl it once through the CLI, and tabulate the outcome."""
    with FaultSite(slow=slow) as site:
        # Two retries: on a loaded machine a 2 s timeout can use up one before a 429/503
        # arrives, and the Retry-After check needs a retry left to observe.
        config = harness.write_config(workdir, site.sources_toml(), timeout=TIMEOUT, retries=2)
        init = harness.newsmon(config, "init")
        if init.returncode != 0:
            raise RuntimeError(f"newsmon init failed: {init.stderr}")
        result = harness.crawl(config)
        db = harness.read_db(f"sqlite:///{workdir / 'newsmon.db'}")
        run = max(db.runs, key=lambda r: r["id"]) if db.runs else None
        stats = (run["stats"] if run else None) or {}
        if isinstance(stats, str):
            stats = json.loads(stats)
        rows = [_row(f, site, db, result.stderr, stats) for f in site.faults]
        gaps = {
            name: _retry_gap(site, f"/f/{name}/good-9.html")
            for name in ("http_429_once", "http_503_once")
        }
    urls = [a["url"] for a in db.articles]
    return MatrixResult(rows, result, run, stats, gaps, urls)


def _retry_gap(site: FaultSite, path: str) -> float | None:
    """Seconds between the refused request (429/503 + Retry-After) and its retry."""
    hits = [h for h in site.hits if h.path == path]
    return hits[1].at - hits[0].at if len(hits) >= 2 else None


# Per-source counters every healthy fetch produces; the rest say something went wrong.
ROUTINE = (
    "discovered",
    "scheduled",
    "fetched",
    "listings",
    "extract/ok",
    "dedup/original",
    "relevance/",
    "store/",
    "last_error",
    "errors",
)


def _counters(stats: dict[str, Any], source: str) -> dict[str, Any]:
    prefix = f"newsmon/source/{source}/"
    return {
        k[len(prefix) :]: v
        for k, v in stats.items()
        if k.startswith(prefix) and not k[len(prefix) :].startswith(ROUTINE)
    }


def _row(
    fault: Fault, site: FaultSite, db: harness.DbState, log: str, stats: dict[str, Any]
) -> Row:
    stored = doubled = garbled = 0
    matched: set[int] = set()
    for good in fault.good:
        hits = [a for a in db.articles if good.marker.lower() in (a["text"] or "").lower()]
        matched.update(a["id"] for a in hits)
        if hits:
            stored += 1
            doubled += len(hits) - 1
            garbled += sum(1 for a in hits if good.sentence not in a["text"])
    junk = sum(
        1 for a in db.articles if a["id"] not in matched and fault.prefix in (a["url"] or "")
    )
    src = [s for s in db.run_sources if s["source"] == fault.name]
    return Row(
        fault=fault,
        requests=len(site.requests_for(fault.prefix)),
        expected=len(fault.good),
        stored=stored,
        doubled=doubled,
        junk=junk,
        garbled=garbled,
        errors=src[-1]["errors"] if src else None,
        last_error=src[-1]["last_error"] if src else None,
        log_lines=sum(1 for line in log.splitlines() if fault.prefix in line),
        counters=_counters(stats, fault.name),
    )


def format_table(result: MatrixResult) -> str:
    """The fault table as plain text, followed by the crawl's fault-related counters."""
    head = (
        f"{'fault':<22} {'reqs':>5} {'expect':>6} {'stored':>6} {'lost':>4} {'doubled':>7} "
        f"{'junk':>4} {'garbled':>7} {'src_err':>7} {'logs':>4}  other counters; last error"
    )
    lines = [head, "-" * len(head)]
    for r in result.rows:
        err = "-" if r.errors is None else str(r.errors)
        lines.append(
            f"{r.fault.name:<22} {r.requests:>5} {r.expected:>6} {r.stored:>6} {r.lost:>4} "
            f"{r.doubled:>7} {r.junk:>4} {r.garbled:>7} {err:>7} {r.log_lines:>4}  "
            + " ".join(f"{k}={v}" for k, v in sorted(r.counters.items()))
            + ("; " + (r.last_error or "")[:50] if r.last_error else "")
        )
    tot = result.rows
    lines.append("-" * len(head))
    lines.append(
        f"{'TOTAL':<22} {sum(r.requests for r in tot):>5} {sum(r.expected for r in tot):>6} "
        f"{sum(r.stored for r in tot):>6} {sum(r.lost for r in tot):>4} "
        f"{sum(r.doubled for r in tot):>7} {sum(r.junk for r in tot):>4} "
        f"{sum(r.garbled for r in tot):>7}"
    )
    c = result.crawl
    status = result.run["status"] if result.run else "(no crawl_runs row)"
    lines.append(
        f"\ncrawl: exit {c.returncode}, run status {status}, {c.seconds:.1f} s, "
        f"peak RSS: all processes {c.peak_rss / 2**20:.0f} MB (shared pages counted per "
        f"process), crawl process {c.peak_main_rss / 2**20:.0f} MB"
    )
    for name, gap in result.retry_gaps.items():
        shown = "no retry" if gap is None else f"{gap:.2f} s later"
        lines.append(f"  {name}: retry after 'Retry-After: {RETRY_AFTER_S}' came {shown}")
    words = (
        "error",
        "exception",
        "retry",
        "maxsize",
        "warnsize",
        "newsmon/",
        "httperror",
        "redirect",
        "status_count/",
        "ignored",
    )
    keys = sorted(
        k
        for k in result.stats
        if not k.startswith("newsmon/source/") and any(w in k for w in words)
    )
    for k in keys:
        lines.append(f"  {k} = {result.stats[k]}")
    return "\n".join(lines)
