"""Workers' heartbeats and counters, kept in Redis for ``newsmon stats``.

Each worker writes its record (host, pid, start, last beat, pages, errors) every
``BEAT_SECONDS`` and keeps an ``alive`` key that expires ``ALIVE_SECONDS`` after its last beat:
a worker killed with SIGKILL is known dead that long after, and what it held is requeued.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass

from redis import Redis

from crawler.fleet.keys import FleetKeys

BEAT_SECONDS = 2.0
ALIVE_SECONDS = 10
# Records of workers not seen for this long are dropped from the hash.
FORGET_SECONDS = 7 * 24 * 3600


def new_worker_id() -> str:
    """``host:pid:random``: unique even when a pid is reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerRecord:
    id: str
    host: str
    pid: int
    started: float
    last_seen: float
    pages: int = 0
    errors: int = 0
    run_id: int | None = None


class Registry:
    def __init__(self, server: Redis, keys: FleetKeys) -> None:
        self.server = server
        self.keys = keys

    def beat(self, record: WorkerRecord) -> None:
        """Record ``record`` (its last_seen set to now) and keep it alive."""
        record.last_seen = time.time()
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(self.keys.workers, record.id, json.dumps(asdict(record)))
        pipe.set(self.keys.alive(record.id), "1", ex=ALIVE_SECONDS)
        pipe.execute()

    def stopped(self, record: WorkerRecord) -> None:
        """A worker that exits cleanly is not alive any more (its record stays for stats)."""
        record.last_seen = time.time()
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(self.keys.workers, record.id, json.dumps(asdict(record)))
        pipe.delete(self.keys.alive(record.id))
        pipe.execute()

    def records(self) -> list[WorkerRecord]:
        out: list[WorkerRecord] = []
        stale: list[str] = []
        now = time.time()
        for raw in self.server.hvals(self.keys.workers):
            try:
                rec = WorkerRecord(**json.loads(raw))
            except (TypeError, ValueError):
                continue
            if now - rec.last_seen > FORGET_SECONDS:
                stale.append(rec.id)
            else:
                out.append(rec)
        if stale:
            self.server.hdel(self.keys.workers, *stale)
        return sorted(out, key=lambda r: r.started)

    def ids(self) -> list[str]:
        return [
            k.decode() if isinstance(k, bytes) else str(k)
            for k in self.server.hkeys(self.keys.workers)
        ]
