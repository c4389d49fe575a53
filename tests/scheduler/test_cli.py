"""The ``newsmon`` parser: ``--help`` lists every command with its summary, which is read from
the command's docstring only then (running a command parses no other command's module)."""

from __future__ import annotations

import pytest

from scheduler import cli


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
