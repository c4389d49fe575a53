"""Counts in what newsmon prints agree with their nouns and verbs (1 run, 2 runs)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from scheduler.cli import main
from storage.engine import make_engine, make_session_factory, session_scope
from storage.records import SourceCounts
from storage.runs import finish_run, start_run


def _failed_runs(url: str, count: int) -> None:
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine, write=True)
        for _ in range(count):
            with session_scope(sessions) as session:
                run_id = start_run(session, ["down"], 1)
                counts = {"down": SourceCounts(errors=1, last_error="refused")}
                finish_run(session, run_id, "failed", {}, counts)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("runs", "line"),
    [(1, "1 crawl run failed or was killed."), (2, "2 crawl runs failed or were killed.")],
)
def test_digest_counts_failed_crawl_runs_in_good_english(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    runs: int,
    line: str,
) -> None:
    for var in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite:///{tmp_path / 'n.db'}"
    cfg = tmp_path / "newsmon.toml"
    cfg.write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "init"]) == 0
    _failed_runs(url, runs)
    capsys.readouterr()

    code = main(["--config", str(cfg), "digest", "--dry-run", "--out", str(tmp_path / "out")])

    assert code == 0
    text = capsys.readouterr().out
    assert line in text, text
    eml = next((tmp_path / "out").glob("*.eml")).read_bytes()
    message = email.message_from_bytes(eml, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(("html",))
    assert html is not None
    assert line in html.get_content(), html.get_content()
