"""``newsmon export`` and ``newsmon stats`` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main
from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory, session_scope
from storage.export import EXPORT_FIELDS
from storage.records import ArticleRecord, SourceCounts
from storage.runs import finish_run, start_run

T0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
TRICKY_TEXT = 'Кремль «отрицает», сказал он.\nSecond line, with "quotes", commas\r\nand a tab\t.'


def _record(url: str, *, source: str, hours: int, relevant: bool, **kw: object) -> ArticleRecord:
    values: dict[str, object] = {
        "url": url,
        "canonical_url": url,
        "source": source,
        "title": f"Title {url.rsplit('/', 1)[-1]}",
        "author": "A. Writer",
        "published_at": T0 + dt.timedelta(hours=hours - 1),
        "fetched_at": T0 + dt.timedelta(hours=hours),
        "language": "en",
        "site_name": "Example",
        "text": f"Text of {url}",
        "text_hash": f"{hours:064d}",
        "minhash": None,
        "relevance_score": 0.9 if relevant else 0.1,
        "relevant": relevant,
        "why": {"terms": ["kremlin"], "nearest_seed": "s1.txt", "summary": "x"},
        "model_version": "t1",
        "duplicate_of": None,
        "duplicate_kind": None,
        "cluster_id": None,
        "crawl_run_id": None,
    }
    values.update(kw)
    return ArticleRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A config pointing at a fresh database of each backend, after `newsmon init`."""
    for var in ("NEWSMON_CONFIG", "NEWSMON_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "newsmon.toml"
    path.write_text(f'[storage]\nurl = "{db_url}"\n', encoding="utf-8")
    assert main(["--config", str(path), "init"]) == 0
    return str(path)


@pytest.fixture
def stored(config: str, db_url: str) -> dict[str, int]:
    """Three articles from two sources (one a near copy) and one finished crawl run."""
    engine = make_engine(db_url)
    try:
        with session_scope(make_session_factory(engine, write=True)) as s:
            run_id = start_run(s, ["alpha", "beta"], os.getpid())
            a1, _ = insert_article(
                s,
                _record(
                    "https://alpha.example/a1",
                    source="alpha",
                    hours=0,
                    relevant=True,
                    text=TRICKY_TEXT,
                    crawl_run_id=run_id,
                ),
            )
            a2, _ = insert_article(
                s, _record("https://alpha.example/a2", source="alpha", hours=5, relevant=False)
            )
            b1, _ = insert_article(
                s,
                _record(
                    "https://beta.example/b1",
                    source="beta",
                    hours=10,
                    relevant=True,
                    duplicate_of=a1,
                    duplicate_kind="near",
                    cluster_id=a1,
                ),
            )
            finish_run(
                s,
                run_id,
                "partial",
                {},
                {
                    "alpha": SourceCounts(discovered=2, fetched=2, new=2, relevant=1),
                    "beta": SourceCounts(
                        discovered=1,
                        fetched=1,
                        new=1,
                        duplicates=1,
                        errors=1,
                        last_error="HTTP 500",
                    ),
                },
            )
    finally:
        engine.dispose()
    return {"a1": a1, "a2": a2, "b1": b1}


def _jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_jsonl_round_trips_every_stable_field(
    config: str, stored: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "export", "--format", "jsonl"]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [stored["a1"], stored["a2"], stored["b1"]]
    assert all(list(r) == list(EXPORT_FIELDS) for r in rows)
    first, _, copy = rows
    assert first["text"] == TRICKY_TEXT
    assert first["fetched_at"] == "2026-05-01T08:00:00+00:00"
    assert first["published_at"] == "2026-05-01T07:00:00+00:00"
    assert (first["relevant"], first["relevance_score"]) == (True, 0.9)
    assert first["cluster_id"] == stored["a1"] and first["duplicate_of"] is None
    assert (copy["duplicate_of"], copy["cluster_id"]) == (stored["a1"], stored["a1"])
    assert copy["duplicate_kind"] == "near" and copy["source"] == "beta"
    assert first["why"] == {"terms": ["kremlin"], "nearest_seed": "s1.txt", "summary": "x"}


def test_export_filters_by_date_and_relevance(
    config: str, stored: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "export", "--since", "2026-05-01T14:00"]) == 0
    assert [r["id"] for r in _jsonl(capsys.readouterr().out)] == [stored["b1"]]
    assert main(["--config", config, "export", "--relevant-only"]) == 0
    assert [r["id"] for r in _jsonl(capsys.readouterr().out)] == [stored["a1"], stored["b1"]]
    # Fetched: a1 08:00, a2 13:00, b1 18:00 UTC. 15:00+05:00 is 10:00 UTC.
    assert main(["--config", config, "export", "--since", "2026-05-01T15:00+05:00"]) == 0
    assert [r["id"] for r in _jsonl(capsys.readouterr().out)] == [stored["a2"], stored["b1"]]


def test_export_csv_to_a_file(
    config: str, stored: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "articles.csv"
    out.parent.mkdir()
    assert main(["--config", config, "export", "--format", "csv", "--output", str(out)]) == 0
    assert "exported 3 article(s)" in capsys.readouterr().err
    assert [p.name for p in out.parent.iterdir()] == ["articles.csv"]  # no temp file left
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == list(EXPORT_FIELDS)
        rows = list(reader)
    assert [int(r["id"]) for r in rows] == [stored["a1"], stored["a2"], stored["b1"]]
    assert rows[0]["text"] == TRICKY_TEXT
    assert [r["relevant"] for r in rows] == ["true", "false", "true"]
    assert rows[0]["duplicate_of"] == "" and rows[2]["duplicate_of"] == str(stored["a1"])
    assert json.loads(rows[0]["why"])["nearest_seed"] == "s1.txt"


def test_export_rejects_a_bad_date_with_status_2(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--config", config, "export", "--since", "yesterday"])
    assert exc.value.code == 2
    assert "ISO-8601" in capsys.readouterr().err


def test_stats_shows_totals_sources_and_runs(
    config: str, stored: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "stats"]) == 0
    text = capsys.readouterr().out
    assert "articles 3   relevant 2   duplicates 1   stories (clusters) 2" in text
    lines = text.splitlines()
    alpha = next(line for line in lines if line.startswith("alpha "))
    beta = next(line for line in lines if line.startswith("beta "))
    assert alpha.split()[1:4] == ["2", "1", "0"]
    assert beta.split()[1:4] == ["1", "1", "1"]
    assert any("partial" in line for line in lines)

    assert main(["--config", config, "stats", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"] == {"articles": 3, "relevant": 2, "duplicates": 1, "clusters": 2}
    by_name = {s["name"]: s for s in report["sources"]}
    assert by_name["alpha"]["articles"] == 2 and by_name["alpha"]["consecutive_failures"] == 0
    assert by_name["beta"]["last_fetched_at"] == "2026-05-01T18:00:00+00:00"
    [run] = report["runs"]
    assert (run["status"], run["fetched"], run["new"], run["errors"]) == ("partial", 3, 3, 1)


def test_commands_on_an_uninitialised_database_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    path = tmp_path / "newsmon.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "none.db"}"\n', encoding="utf-8")
    assert main(["--config", str(path), "stats"]) == 1
    assert "newsmon init" in capsys.readouterr().err
    assert main(["--config", str(path), "export"]) == 1
    assert "newsmon init" in capsys.readouterr().err


def test_empty_archive_exports_nothing(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "export", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert list(csv.reader(io.StringIO(out))) == [list(EXPORT_FIELDS)]


@pytest.mark.slow  # starts the real CLI in a subprocess
def test_export_into_a_closed_pipe_ends_quietly(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsmon export | head -1` must not end with a BrokenPipeError traceback."""
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    path = tmp_path / "newsmon.toml"
    path.write_text(f'[storage]\nurl = "{sqlite_url}"\n', encoding="utf-8")
    assert main(["--config", str(path), "init"]) == 0
    engine = make_engine(sqlite_url)
    try:
        with session_scope(make_session_factory(engine, write=True)) as s:
            for i in range(300):  # far more than a pipe buffer holds
                insert_article(
                    s,
                    _record(
                        f"https://x.example/{i}",
                        source="x",
                        hours=i,
                        relevant=True,
                        text="word " * 400,
                    ),
                )
    finally:
        engine.dispose()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "--config", str(path), "export"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert first["url"] == "https://x.example/0"
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_stats_runs_0_leaves_the_runs_out_without_claiming_no_crawl(
    config: str, stored: dict[str, int]
) -> None:
    """`stats --runs 0` with a run recorded said "(no crawl yet)"; now the section is left
    out. A negative count is a usage error."""
    project = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["PYTHONPATH"] = str(project) + os.pathsep + env.get("PYTHONPATH", "")

    def stats(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "--config", config, "stats", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )

    hidden = stats("--runs", "0")
    assert hidden.returncode == 0, hidden.stderr
    assert "no crawl yet" not in hidden.stdout
    assert "Recent crawl runs" not in hidden.stdout
    assert "articles 3   relevant 2" in hidden.stdout and "alpha" in hidden.stdout
    shown = stats("--runs", "1")
    assert "Recent crawl runs (UTC)" in shown.stdout and "partial" in shown.stdout
    as_json = stats("--runs", "0", "--json")
    assert json.loads(as_json.stdout)["runs"] == []
    negative = stats("--runs", "-1")
    assert negative.returncode == 2
    assert "expected a whole number 0 or more, got '-1'" in negative.stderr
