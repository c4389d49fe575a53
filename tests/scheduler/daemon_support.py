"""The scheduler tests' job functions and a scheduler that the test steps by hand.

The job store pickles a *reference* to each job function and its arguments, so the functions
are module-level and take plain strings. They record the (test-controlled) clock's time of
each run, so a test asserts exactly which runs happened, never how many fit in some seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler

from storage.exceptions import DeliveryError

# Longest a gated job or a test waits for the other side (only reached when something hangs).
GATE_TIMEOUT = 60.0


class SteppedScheduler(BaseScheduler):
    """An APScheduler 3 scheduler with no loop or thread of its own: the test runs each round
    of "start the jobs that are due" with :meth:`step`, at the clock it set (time-machine).

    APScheduler 3 has no public call for one round; ``_process_jobs`` is that round, run by
    every scheduler class's own loop (BlockingScheduler's and BackgroundScheduler's alike).
    """

    def wakeup(self) -> None:
        """Nothing to wake: rounds run only when the test calls :meth:`step`."""

    def shutdown(self, wait: bool = True) -> None:
        """Nothing of its own to stop (the base class stops the executors and job stores)."""
        super().shutdown(wait)

    def step(self) -> None:
        self._process_jobs()


@dataclass
class Gate:
    """Holds a job in its executor's thread until the test lets it finish."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


GATES: dict[str, Gate] = {}


def gate(name: str) -> Gate:
    """A new gate for the job argument ``gate=name`` (one test's jobs run in this process)."""
    GATES[name] = Gate()
    return GATES[name]


def _write(path: str, tag: str) -> None:
    with Path(path).open("a") as f:
        f.write(f"{tag} {dt.datetime.now(dt.UTC).isoformat()}\n")


def record(path: str, tag: str) -> None:
    _write(path, tag)


def fail(path: str) -> None:
    _write(path, "fail")
    raise RuntimeError("boom")


def undeliverable(path: str) -> None:
    _write(path, "digest")
    raise DeliveryError("SMTP 127.0.0.1:9: ConnectionRefusedError")


def gated(path: str, tag: str, gate: str) -> None:
    """Record the start, wait until the test releases ``gate`` (at once when it already did)."""
    _write(path, f"{tag}:start")
    held = GATES[gate]
    held.started.set()
    if not held.release.wait(GATE_TIMEOUT):
        raise TimeoutError(f"gate {gate} was never released")
    _write(path, f"{tag}:end")


def runs(path: Path, tag: str) -> list[dt.datetime]:
    """When the job tagged ``tag`` ran (the clock's time at each run), oldest first."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        name, when = line.split()
        if name == tag:
            out.append(dt.datetime.fromisoformat(when))
    return out


def tags(path: Path) -> list[str]:
    """The tags of every line, in the order they were written."""
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []
