"""What ``newsmon stats`` shows of a fleet: the frontier, the hosts' waits, the workers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from crawler.fleet.keys import FleetKeys
from crawler.fleet.limiter import HostLimiter
from crawler.fleet.registry import Registry, WorkerRecord
from crawler.fleet.setup import connect

SEEN_WITHIN = 3600.0  # workers shown: seen in the last hour


@dataclass
class HostWait:
    host: str
    wait: float  # seconds until its next request may go
    in_flight: int


@dataclass
class WorkerSeen:
    id: str
    host: str
    pid: int
    alive: bool
    last_seen: float  # seconds ago
    pages: int
    errors: int
    held: int
    run_id: int | None


@dataclass
class FleetReport:
    queued: int = 0
    in_flight: int = 0
    hosts: list[HostWait] = field(default_factory=list)
    workers: list[WorkerSeen] = field(default_factory=list)


def fleet_report(url: str, prefix: str, now: float | None = None) -> FleetReport:
    """Read the fleet's state from Redis (raises redis errors when unreachable)."""
    now = time.time() if now is None else now
    server = connect(url)
    keys = FleetKeys(prefix)
    registry = Registry(server, keys)
    records: list[WorkerRecord] = registry.records()
    ids = [r.id for r in records]
    queued = int(server.llen(keys.queue))
    held = dict.fromkeys(ids, 0)
    if ids:
        pipe = server.pipeline(transaction=False)
        for w in ids:
            pipe.llen(keys.held(w))
        held = dict(zip(ids, (int(n) for n in pipe.execute()), strict=True))
        pipe = server.pipeline(transaction=False)
        for w in ids:
            pipe.exists(keys.alive(w))
        alive = dict(zip(ids, (bool(n) for n in pipe.execute()), strict=True))
    else:
        alive = {}
    waits = HostLimiter(server, keys).waits()
    seen = [r for r in records if now - r.last_seen <= SEEN_WITHIN]
    return FleetReport(
        queued=queued,
        in_flight=sum(held.values()),
        hosts=[HostWait(h, w, a) for h, (w, a) in waits.items()],
        workers=[
            WorkerSeen(
                r.id,
                r.host,
                r.pid,
                alive[r.id],
                max(now - r.last_seen, 0.0),
                r.pages,
                r.errors,
                held[r.id],
                r.run_id,
            )
            for r in seen
        ],
    )
