"""`newsmon demo` through the installed console script: what a new user sees first."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.demosite.content import load_articles

pytestmark = pytest.mark.slow


def _newsmon() -> str:
    beside = Path(sys.executable).with_name("newsmon")
    found = str(beside) if beside.exists() else shutil.which("newsmon")
    if not found:
        pytest.skip("the newsmon console script is not installed")
    return found


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_newsmon(), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def _titles() -> dict[str, set[str]]:
    articles, _ = load_articles(datetime.now(UTC))
    out: dict[str, set[str]] = {"on": set(), "near": set(), "off": set()}
    for a in articles:
        if a.batch == 0 and not a.private and not a.archive_only:
            out[a.topic].add(a.title)
    return out


def _listed_stories(stdout: str) -> list[str]:
    """Titles of the numbered top-story lines: `` 1. 0.97  Title``."""
    return re.findall(r"^\s*\d+\.\s+[01]\.\d\d\s+(.+)$", stdout, flags=re.M)


def test_demo_lists_on_topic_stories_only_and_cleans_up() -> None:
    # The demo must use its own database, whatever the environment points at.
    result = _run("demo", env={"NEWSMON_DATABASE_URL": "sqlite:////nonexistent/dir/x.db"})

    assert result.returncode == 0, result.stderr
    out = result.stdout
    titles = _titles()
    listed = _listed_stories(out)
    assert len(listed) >= 10, out
    assert set(listed) <= titles["on"], set(listed) - titles["on"]
    assert len(set(listed) & titles["on"]) >= len(titles["on"]) - 2
    for title in titles["off"] | titles["near"]:
        assert title not in out  # e.g. the coup in Valdoria, the EU sanctions package
    # Cyrillic titles from windows-1251 and KOI8-R pages come out as proper text.
    assert "Чистка в генералитете: Кремль проверяет лояльность армии" in listed
    assert "Борьба за преемника: кто в Кремле готовится к транзиту власти" in listed
    # The syndicated copy is folded under its original, never a second story.
    assert re.search(r"also reported by: \S+ http://127\.0\.0\.1:\d+/syndicated/", out)
    assert not re.search(r"source: \S+\s+http://\S+/syndicated/", out)
    assert re.search(r"^total\s+(\d+)", out, flags=re.M)
    workdir = Path(re.search(r"^config: (.+)$", out, flags=re.M).group(1)).parent  # type: ignore[union-attr]
    assert not workdir.exists(), "the temporary demo folder is removed"


def test_demo_keep_leaves_a_database_to_explore(tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    result = _run("demo", "--keep", str(keep))
    assert result.returncode == 0, result.stderr
    config = keep / "newsmon.toml"
    assert f"newsmon --config {config} export" in result.stdout

    export = _run("--config", str(config), "export", "--format", "jsonl")
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    by_path = {row["url"].split("/", 3)[3]: row for row in rows}
    assert len(rows) == len(set(by_path)) >= 25
    assert not any(p.startswith("private/") for p in by_path), "robots.txt Disallow obeyed"
    assert not any("utm_" in p for p in by_path), "tracking-parameter URL not fetched again"
    assert not any("old-minister" in p for p in by_path), "the old archive entry is skipped"
    original = by_path["articles/kremlin-purge-reaches-general-staff.html"]
    copy = by_path["syndicated/baltic-wire-kremlin-purge-general-staff.html"]
    assert copy["duplicate_of"] == original["id"]
    assert copy["cluster_id"] == original["cluster_id"]
    assert by_path["ru/borba-za-preemnika.html"]["language"] == "ru"
    assert "Путин" in by_path["ru/borba-za-preemnika.html"]["text"]

    again = _run("demo", "--keep", str(keep))
    assert again.returncode == 2, "a second demo refuses to reuse a folder with a database"


def test_demo_keep_config_does_not_crawl_the_dead_site(tmp_path: Path) -> None:
    """The site stops with the demo: the kept config says so and disables its sources, so a
    crawl does not fail against a dead port; served again on the same port, it crawls."""
    from urllib.parse import urlsplit

    from scheduler.demosite import NewsSite

    keep = tmp_path / "demo"
    result = _run("demo", "--keep", str(keep))
    assert result.returncode == 0, result.stderr
    assert "its sources are disabled in the kept config" in result.stdout
    config = keep / "newsmon.toml"
    port = urlsplit(re.findall(r"^demo site: (\S+)", result.stdout, flags=re.M)[0]).port
    assert port is not None
    assert f"python -m scheduler.demosite --port {port}" in config.read_text(encoding="utf-8")

    crawl = _run("--config", str(config), "crawl")
    assert crawl.returncode == 2, crawl.stderr
    assert "every source is disabled (enabled = false)" in crawl.stderr
    assert _run("--config", str(config), "stats").returncode == 0

    with NewsSite(port=port):
        named = _run("--config", str(config), "-q", "crawl", "--source", "ledger-rss")
    assert named.returncode == 0, named.stderr
