"""Small things a user meets at the command line, driven through the script as a user would:
``--version``, ``init --force`` keeping a backup, ``stats --runs 0``, and clock times read the
same way by every command."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

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


def _config(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsmon.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{folder / "n.db"}"\n{extra}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("digest", "send_time", "07:00:30"),
        ("digest", "send_time", "0700"),
        ("digest", "send_time", "24:00"),
        ("schedule", "housekeeping_time", "03:30:00"),
    ],
)
def test_a_clock_time_refused_by_one_command_is_refused_by_all(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    """digest once accepted "07:00:30" and "0700" and schedule then refused them: now the
    config is refused when loaded, by every command, with one message naming the key."""
    config = _config(tmp_path, f'[{section}]\n{key} = "{value}"\n')
    messages = set()
    for args in (("digest", "--dry-run"), ("schedule", "--list"), ("stats",)):
        done = newsmon(tmp_path, "--config", str(config), *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        messages.add(done.stderr)
    (message,) = messages
    assert f"[{section}.{key}] expected a time of day HH:MM (24-hour), got '{value}'" in message


def test_a_clock_time_accepted_by_one_command_is_accepted_by_all(tmp_path: Path) -> None:
    """ "7:05" was refused by digest and accepted by schedule."""
    config = _config(tmp_path, '[digest]\nsend_time = "7:05"\n')
    assert newsmon(tmp_path, "--config", str(config), "init").returncode == 0
    listed = newsmon(tmp_path, "--config", str(config), "schedule", "--list")
    assert listed.returncode == 0, listed.stderr
    assert "cron[hour='7', minute='5']  (daily digest)" in listed.stdout
    dry = newsmon(tmp_path, "--config", str(config), "digest", "--dry-run", "--out", "eml")
    assert dry.returncode == 0, dry.stderr


def test_init_force_keeps_the_edited_config_as_bak(tmp_path: Path) -> None:
    config = tmp_path / "newsmon.toml"
    assert newsmon(tmp_path, "--config", str(config), "init").returncode == 0
    starter = config.read_text(encoding="utf-8")
    edited = starter + '\n[[sources]]\nname = "mine"\nurl = "https://news.example/feed"\n'
    config.write_text(edited + 'kind = "feed"\n', encoding="utf-8")
    edited = config.read_text(encoding="utf-8")

    done = newsmon(tmp_path, "--config", str(config), "init", "--force")
    assert done.returncode == 0, done.stderr
    backup = tmp_path / "newsmon.toml.bak"
    assert f"the previous one is kept as {backup}" in done.stdout
    assert backup.read_text(encoding="utf-8") == edited
    assert backup.stat().st_mode & 0o777 == 0o600
    assert config.read_text(encoding="utf-8") == starter

    # Forcing again over the untouched starter keeps the backup of the edit.
    again = newsmon(tmp_path, "--config", str(config), "init", "--force")
    assert again.returncode == 0, again.stderr
    assert "kept as" not in again.stdout
    assert backup.read_text(encoding="utf-8") == edited
