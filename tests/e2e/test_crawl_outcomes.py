"""What a crawl reports about redirects, failing stages and unreachable sites, as a user
sees it: the crawl's own summary, its log lines, and `newsmon stats` afterwards."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.engine import make_engine
from storage.models import CrawlRun
from tests.e2e.cli_support import newsmon_tty
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


def write_config(
    tmp_path: Path, model_dir: Path, sources: dict[str, str], *, retries: int = 0
) -> Path:
    text = f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
download_delay = 0.0
retries = {retries}
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


# The crawl as the `newsmon` script runs it, with the store stage failing for one source's
# articles (or every source's): what a bug or a broken database would do.
FAILING_STORE = """
from crawler.pipelines.store import StorePipeline

original = StorePipeline.process_item

def process_item(self, item, spider):
    if {sources!r} is None or item.source in {sources!r}:
        raise RuntimeError("disk on fire")
    return original(self, item, spider)

StorePipeline.process_item = process_item
from scheduler.cli import console_main
console_main()
"""


def crawl_with_failing_store(
    cfg: Path, sources: tuple[str, ...] | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            FAILING_STORE.format(sources=sources),
            "--config",
            str(cfg),
            "crawl",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
        check=False,
    )


def test_articles_that_fail_in_a_pipeline_stage_are_errors_and_fail_the_run(
    site: SmallSite, tmp_path: Path, model_dir: Path
) -> None:
    cfg = write_config(tmp_path, model_dir, {"wire": site.url("/feed.xml")})
    assert newsmon(cfg, "init").returncode == 0

    result = crawl_with_failing_store(cfg, None)

    # Articles were fetched, and every one failed: not a clean run.
    assert result.returncode == 3, result.stderr[-3000:]
    assert "every source failed" in result.stderr
    for path in ("/articles/succession.html", "/articles/purge.html"):
        # Logged once by the crawl (the summary below repeats the last error).
        lines = [line for line in result.stderr.splitlines() if site.url(path) in line]
        said = [line for line in lines if "crawler.spiders.news: wire: processing failed" in line]
        assert len(said) == 1 and "disk on fire" in said[0], result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Error processing" not in result.stderr
    assert re.search(r"crawl run \d+ failed: .* fetched 2, new 0, .* errors 2", result.stderr)

    report = stats_json(cfg)
    (run,) = report["runs"]  # type: ignore[misc]
    assert (run["status"], run["fetched"], run["new"], run["errors"]) == ("failed", 2, 0, 2)
    (wire,) = report["sources"]  # type: ignore[misc]
    assert wire["consecutive_failures"] == 1 and "disk on fire" in wire["last_error"]
    stats = run_stats(tmp_path / "n.db")
    assert stats["newsmon/source/wire/item/failed"] == 2


def test_a_source_whose_every_article_fails_makes_the_run_partial(
    site: SmallSite, tmp_path: Path, model_dir: Path
) -> None:
    cfg = write_config(
        tmp_path, model_dir, {"wire": site.url("/feed.xml"), "other": site.url("/other.xml")}
    )
    assert newsmon(cfg, "init").returncode == 0

    result = crawl_with_failing_store(cfg, ("wire",))

    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"crawl run \d+ partial: .* new 1, .* errors 2", result.stderr)
    assert "source wire failed: processing failed for" in result.stderr
    (run,) = stats_json(cfg)["runs"]  # type: ignore[misc]
    assert (run["status"], run["new"], run["errors"]) == ("partial", 1, 2)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_one_line_without_a_traceback(
    tmp_path: Path, model_dir: Path
) -> None:
    feed = f"http://127.0.0.1:{closed_port()}/feed.xml"  # nothing listens: refused at once
    cfg = write_config(tmp_path, model_dir, {"down": feed}, retries=2)
    assert newsmon(cfg, "init").returncode == 0

    result = newsmon(cfg, "-q", "crawl")

    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert " ERROR " not in result.stderr, result.stderr[-3000:]
    (line,) = [ln for ln in result.stderr.splitlines() if " crawler.spiders.news: " in ln]
    assert "down: " in line and feed in line and "Connection refused" in line, line
    (run,) = stats_json(cfg)["runs"]  # type: ignore[misc]
    assert (run["status"], run["errors"]) == ("failed", 1)

    # The traceback is there for debugging.
    assert "Traceback" in newsmon(cfg, "-vv", "crawl").stderr


def test_a_page_without_article_text_is_one_short_line_and_silent_under_q(
    site: SmallSite, tmp_path: Path, model_dir: Path
) -> None:
    cfg = write_config(tmp_path, model_dir, {"menu": site.url("/empty.xml")})
    assert newsmon(cfg, "init").returncode == 0

    quiet = newsmon(cfg, "-q", "crawl")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert quiet.stderr == ""  # cron mails nothing for an ordinary page without text

    # A fresh database (the first one remembers the page): the default log names it once.
    (tmp_path / "again").mkdir()
    cfg2 = write_config(tmp_path / "again", model_dir, {"menu": site.url("/empty.xml")})
    assert newsmon(cfg2, "init").returncode == 0
    loud = newsmon(cfg2, "crawl")
    assert loud.returncode == 0, loud.stderr[-3000:]
    (line,) = [ln for ln in loud.stderr.splitlines() if "empty.html" in ln]
    assert line.endswith(f"menu: no article text in {site.url('/articles/empty.html')}"), line
    assert "ArticleItem(" not in loud.stderr
