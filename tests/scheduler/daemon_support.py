"""Module-level job functions for the scheduler tests (the job store pickles references)."""

from __future__ import annotations

import time
from pathlib import Path

from storage.exceptions import DeliveryError


def record(path: str, tag: str) -> None:
    with Path(path).open("a") as f:
        f.write(f"{tag} {time.monotonic():.3f}\n")


def fail(path: str) -> None:
    record(path, "fail")
    raise RuntimeError("boom")


def undeliverable(path: str) -> None:
    record(path, "digest")
    raise DeliveryError("SMTP 127.0.0.1:9: ConnectionRefusedError")


def slow(path: str, seconds: float) -> None:
    record(path, "start")
    time.sleep(seconds)
    record(path, "end")


def lines(path: Path, tag: str) -> list[float]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        name, t = line.split()
        if name == tag:
            out.append(float(t))
    return out
