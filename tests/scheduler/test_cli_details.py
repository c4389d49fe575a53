"""Small things a user meets at the command line, driven through the script as a user would:
``--version``, ``init --force`` keeping a backup, ``stats --runs 0``, and clock times read the
same way by every command."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def newsmon(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    done = newsmon(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"newsmon {version('newsmon')}\n"
