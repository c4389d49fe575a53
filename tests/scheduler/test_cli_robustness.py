"""A wrong database URL is a config error (exit 2, naming where it came from), never a
traceback; nor is a reader of stdout that goes away (``newsmon review show 7 | head -1``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.scheduler.test_relevance_cli import _insert

PROJECT = Path(__file__).resolve().parents[2]


def newsmon(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run newsmon as a user does; returns the exit status and stderr."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    environ["PYTHONPATH"] = str(PROJECT)
    proc = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environ, **(env or {})},
        timeout=120,
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://x@y/z", "SQLite or PostgreSQL"),
        ("newsmon.db", "expected a database URL such as sqlite:///newsmon.db"),
        ("postgresql+pg8000://u:hidden@db/x", "driver for 'postgresql+pg8000://u:***@db/x' is"),
        ("sqlite:///afile/news.db", "afile is a file, not a folder"),
    ],
)
def test_a_bad_storage_url_names_the_file_and_key(tmp_path: Path, url: str, words: str) -> None:
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "newsmon.toml").write_text(f'[storage]\nurl = "{url}"\n')
    for command in ("stats", "init", "crawl"):
        code, err = newsmon("--config", "newsmon.toml", command, cwd=tmp_path)
        assert code == 2, err
        assert "newsmon.toml: [storage.url]" in err and words in err, err
        assert "Traceback" not in err and "hidden" not in err


def test_a_bad_database_url_option_or_variable_is_named(tmp_path: Path) -> None:
    (tmp_path / "newsmon.toml").write_text("")
    code, err = newsmon("--config", "newsmon.toml", "stats", "--database-url", "foo", cwd=tmp_path)
    assert code == 2 and "[--database-url] expected a database URL" in err, err
    code, err = newsmon(
        "--config", "newsmon.toml", "stats", cwd=tmp_path, env={"NEWSMON_DATABASE_URL": "foo"}
    )
    assert code == 2 and "[$NEWSMON_DATABASE_URL] expected a database URL" in err, err


def test_review_show_into_a_closed_pipe_ends_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "newsmon.toml"
    assert main(["--config", str(cfg), "init"]) == 0
    capsys.readouterr()
    article = _insert(cfg)["mobilisation"]
    read, write = os.pipe()
    os.close(read)  # the reader (head -1) has gone before newsmon writes
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "scheduler.cli",
                "--config",
                str(cfg),
                "review",
                "show",
                str(article),
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env={**environ, "PYTHONPATH": str(PROJECT)},
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr  # 128 + SIGPIPE, as the shell reports it
    assert proc.stderr == ""
