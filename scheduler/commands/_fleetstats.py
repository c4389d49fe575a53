"""The fleet section of ``newsmon stats``: frontier, per-host waits, workers of the last hour."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from scheduler.config import Config
from scheduler.fleetconfig import frontier_url


@dataclass
class FleetSection:
    url: str
    report: Any = None  # crawler.fleet.report.FleetReport, or None when unreachable
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        if self.report is None:
            return {"frontier": self.url, "error": self.error}
        return {"frontier": self.url, **dataclasses.asdict(self.report)}

    def render(self) -> str:
        from scheduler.commands.stats import _table

        out = ["", f"Fleet (frontier {self.url})"]
        if self.report is None:
            out.append(f"unreachable: {self.error}")
            return "\n".join(out) + "\n"
        r = self.report
        out.append(f"queued {r.queued}   in flight {r.in_flight}")
        if r.hosts:
            out += ["", "Hosts (seconds until the next request may go)"]
            out += _table(
                ("host", "wait", "in flight"),
                [(h.host, f"{h.wait:.2f}", h.in_flight) for h in r.hosts],
            )
        out += ["", "Workers seen in the last hour"]
        if r.workers:
            out += _table(
                ("host", "pid", "state", "seen", "pages", "errors", "held", "run"),
                [
                    (
                        w.host,
                        w.pid,
                        "running" if w.alive else "stopped",
                        f"{w.last_seen:.0f}s ago",
                        w.pages,
                        w.errors,
                        w.held,
                        w.run_id,
                    )
                    for w in r.workers
                ],
            )
        else:
            out.append("(none)")
        return "\n".join(out) + "\n"


def fleet_section(cfg: Config, override: str | None) -> FleetSection | None:
    """None without a fleet; a section saying why when Redis cannot be read."""
    url = frontier_url(cfg, override)
    if url is None:
        return None
    from redis.exceptions import RedisError

    from crawler.fleet.report import fleet_report

    try:
        return FleetSection(url, fleet_report(url, cfg.fleet.key_prefix))
    except RedisError as exc:
        return FleetSection(url, error=str(exc))
