"""Running the ``newsmon`` CLI the way a person at a shell does: stdout on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def newsmon_tty(config: Path, *args: str, timeout: float = 240) -> tuple[int, str]:
    """Run newsmon with stdout on a pseudo-terminal (the summary table is for people);
    returns the exit status and what the terminal showed. stderr is discarded."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
            stdout=slave,
            stderr=devnull,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")
