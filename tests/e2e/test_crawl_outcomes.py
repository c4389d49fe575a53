"""What a crawl reports about redirects, failing stages and unreachable sites, as a user
sees it: the crawl's own summary, its log lines, and `newsmon stats` afterwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.engine import make_engine
from storage.models import CrawlRun
from tests.e2e.small_site import SmallSite

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> Iterator[SmallSite]:
    with SmallSite() as s:
        yield s


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model")


def write_config(tmp_path: Path, model_dir: Path, sources: dict[str, str]) -> Path:
    text = f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
download_delay = 0.0
retries = 0
timeout = 5
max_article_age_days = 0
extract_workers = 1
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{model_dir}"
"""
    for name, url in sources.items():
        text += f'\n[[sources]]\nname = "{name}"\nurl = "{url}"\nkind = "feed"\n'
    path = tmp_path / "newsmon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}


def newsmon(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
        check=False,
    )


def newsmon_tty(cfg: Path, *args: str) -> tuple[int, str]:
    """Run newsmon with stdout on a pseudo-terminal (the summary table is for people)."""
    master, slave = os.openpty()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
            stdout=slave,
            stderr=devnull,
            stdin=subprocess.DEVNULL,
            env=_env(),
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
    return proc.wait(timeout=180), b"".join(chunks).decode("utf-8", "replace")


def summary_rows(screen: str) -> dict[str, list[str]]:
    """The crawl summary table: source -> its cells (fetched ... errors)."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["source", "fetched"])
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2 :]:
        cells = line.split()
        if len(cells) != 7:
            break
        rows[cells[0]] = cells[1:]
    return rows


def stats_json(cfg: Path) -> dict[str, object]:
    result = newsmon(cfg, "stats", "--json")
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def run_stats(db: Path) -> dict[str, Any]:
    """The stats recorded with the last crawl run."""
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stats = conn.execute(select(CrawlRun.stats).order_by(CrawlRun.id.desc())).scalars().first()
    engine.dispose()
    assert isinstance(stats, dict)
    return stats


def test_a_redirect_to_an_article_requested_already_is_a_duplicate_not_a_loop(
    site: SmallSite, tmp_path: Path, model_dir: Path
) -> None:
    cfg = write_config(
        tmp_path, model_dir, {"wire": site.url("/feed.xml"), "loopy": site.url("/loop.xml")}
    )
    assert newsmon(cfg, "init").returncode == 0

    code, screen = newsmon_tty(cfg, "crawl")

    assert code == 0, screen
    rows = summary_rows(screen)
    # fetched, new, relevant, duplicates, not_modified, errors
    assert rows["wire"][:2] == ["2", "2"] and rows["wire"][5] == "0", screen
    assert "wire: last error" not in screen
    # The real loop (a -> b -> a) is still an error of its source, named once.
    assert rows["loopy"][5] == "1", screen
    loop = re.search(r"loopy: last error: redirect loop: (\S+) -> \.\.\. -> (\S+)", screen)
    assert loop and loop.group(1) == loop.group(2) == site.url("/loop/a.html"), screen
    assert rows["total"][5] == "1"
    assert re.search(r"run \d+: ok ", screen), screen
    assert site.requests.count("/articles/succession.html") == 1

    # `newsmon stats` tells the same story.
    report = stats_json(cfg)
    (run,) = report["runs"]  # type: ignore[misc]
    assert (run["status"], run["fetched"], run["new"], run["errors"]) == ("ok", 2, 2, 1)
    sources = {s["name"]: s for s in report["sources"]}  # type: ignore[attr-defined]
    assert sources["wire"]["last_error"] is None and sources["wire"]["consecutive_failures"] == 0
    # The redirect is counted with the duplicates the crawl skipped.
    stats = run_stats(tmp_path / "n.db")
    assert stats["newsmon/source/wire/skipped/seen"] == 1
    assert "newsmon/source/wire/redirect/loop" not in stats
    assert stats["newsmon/source/loopy/redirect/loop"] == 1
