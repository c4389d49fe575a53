"""The ``newsmon`` parser: ``--help`` lists every command with its summary, which is read from
the command's docstring only then (running a command parses no other command's module)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler import cli
from storage.engine import make_engine, make_session_factory, session_scope
from storage.runs import register_source


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--help", "stats"], ["-v", "-h", "crawl"]])
def test_help_shows_every_command_summary(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    only = cli._chosen_command(argv, cli.command_names())
    assert out == cli.build_parser(only, summaries=True).format_help()
    assert out.startswith("usage: newsmon [-h] ")
    assert "-h, --help          show this help message and exit" in out
    for name in cli.command_names():
        assert f"\n    {name} " in out
    if only != "crawl":
        assert "one polite, incremental crawl" in out  # crawl's summary, from its docstring


def test_running_a_command_reads_no_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_summary(name: str) -> str:
        raise AssertionError(f"read the summary of {name}")

    monkeypatch.setattr(cli, "_summary", no_summary)
    args = cli._parse(["stats"])
    assert args.command == "stats"


@pytest.fixture
def two_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two initialised configs, each with its own SQLite database (``one`` has a source)."""
    for var in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    paths = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "newsmon.toml"
        path.write_text(f'[storage]\nurl = "sqlite:///{folder / "n.db"}"\n', encoding="utf-8")
        assert cli.main(["--config", str(path), "init"]) == 0
        paths.append(path)
    engine = make_engine(f"sqlite:///{tmp_path / 'one' / 'n.db'}")
    with session_scope(make_session_factory(engine, write=True)) as session:
        register_source(session, "only-in-one", "https://one.example/feed.xml", "feed")
    engine.dispose()
    return paths[0], paths[1]


def test_global_options_also_work_after_the_command(
    two_configs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = two_configs
    capsys.readouterr()
    assert cli.main(["stats", "--config", str(one)]) == 0
    assert "only-in-one" in capsys.readouterr().out
    assert cli.main(["stats", "--json", "--config", str(two)]) == 0
    assert "only-in-one" not in capsys.readouterr().out
    url_of_one = f"sqlite:///{one.parent / 'n.db'}"
    assert cli.main(["stats", "--config", str(two), "--database-url", url_of_one]) == 0
    assert "only-in-one" in capsys.readouterr().out
    # Given before the command, they are not reset by the command's parser.
    assert cli.main(["--config", str(one), "stats", "--runs", "1"]) == 0
    assert "only-in-one" in capsys.readouterr().out
    assert cli.main(["--config", str(two), "stats", "--config", str(one)]) == 0
    assert "only-in-one" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "verbose", "quiet"),
    [
        (["stats"], 0, False),
        (["-v", "-v", "stats"], 2, False),
        (["stats", "-v", "-v"], 2, False),
        (["stats", "-vv"], 2, False),
        (["-v", "stats", "-v"], 2, False),
        (["-q", "stats"], 0, True),
        (["stats", "-q"], 0, True),
        (["--config", "a.toml", "seeds", "add", "x.txt", "-v", "--database-url", "u"], 1, False),
    ],
)
def test_verbose_and_quiet_count_before_and_after_the_command(
    argv: list[str], verbose: int, quiet: bool
) -> None:
    args = cli._parse(argv)
    assert (args.verbose, args.quiet) == (verbose, quiet)
    assert not hasattr(args, "verbose_after")
    if "--config" in argv:
        assert (args.config, args.database_url) == ("a.toml", "u")


def test_options_after_the_command_through_the_script(two_configs: tuple[Path, Path]) -> None:
    one, _two = two_configs
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSMON_CONFIG",)}
    env.pop("NEWSMON_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "stats", "--config", str(one), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "only-in-one" in result.stdout
