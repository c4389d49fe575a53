"""The Redis key names of one fleet, all under one prefix (``[fleet] key_prefix``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FleetKeys:
    prefix: str = "newsmon"

    @property
    def queue(self) -> str:
        """List of serialized requests waiting for a worker (pushed left, taken right)."""
        return f"{self.prefix}:frontier:queue"

    @property
    def pending(self) -> str:
        """Sorted set of the URLs queued or held by a worker, scored by push time: not
        pushed again while there (see frontier.py)."""
        return f"{self.prefix}:frontier:pending"

    def held(self, worker: str) -> str:
        """List of the entries worker ``worker`` took and has not finished yet."""
        return f"{self.prefix}:frontier:held:{worker}"

    @property
    def workers(self) -> str:
        """Hash worker id -> JSON (host, pid, started, last_seen, pages, errors)."""
        return f"{self.prefix}:workers"

    def alive(self, worker: str) -> str:
        """Set while the worker's heartbeat goes on (expires when it is killed)."""
        return f"{self.prefix}:alive:{worker}"

    @property
    def hosts(self) -> str:
        """Set of hosts the limiter has seen (for the per-host waits in stats)."""
        return f"{self.prefix}:limiter:hosts"

    def host_next(self, host: str) -> str:
        """The time (Redis clock, seconds) before which no request may go to ``host``."""
        return f"{self.prefix}:limiter:next:{host}"

    def host_active(self, host: str) -> str:
        """Sorted set of the requests to ``host`` in flight, scored by their lease's end."""
        return f"{self.prefix}:limiter:active:{host}"
