"""Every link a crawl did not fetch has a reason, counted per source and run, and told to the
user: in the crawl summary, in ``newsmon stats`` and in the digest's source health. A source
that a filter holds back run after run is flagged, not called healthy."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from tests.e2e.cli_support import newsmon_tty
from tests.e2e.route_site import RouteSite

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _rss(base: str, days_old: int, count: int) -> str:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_old)).strftime(
        "%a, %d %b %Y %H:%M:%S +0000"
    )
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/old/story-number-{i}.html</link>"
        f"<pubDate>{when}</pubDate></item>"
        for i in range(count)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Old news</title><link>{base}/</link>{items}</channel></rss>"
    )


SECTION = """<!doctype html><html><body>
<a href="/about">About</a> <a href="/tag/kremlin">Kremlin</a> <a href="/world">World</a>
<a href="/contact">Contact</a> <a href="https://elsewhere.example.org/story-of-the-day">x</a>
</body></html>"""


@pytest.fixture
def site() -> Iterator[RouteSite]:
    with RouteSite() as s:
        s.pages["/feed.xml"] = ("application/rss+xml", lambda base: _rss(base, 40, 50))
        s.pages["/section.html"] = ("text/html; charset=utf-8", SECTION)
        yield s


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}


def newsmon(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(),
        check=False,
    )


def test_skipped_links_are_explained_and_a_filtered_source_is_flagged(
    site: RouteSite, tmp_path: Path
) -> None:
    cfg = tmp_path / "newsmon.toml"
    cfg.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
download_delay = 0.0
retries = 0
timeout = 5
max_article_age_days = 7
extract_workers = 1
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"
[digest]
recipients = ["analyst@example.org"]

[[sources]]
name = "old-feed"
url = "{site.url("/feed.xml")}"
kind = "feed"

[[sources]]
name = "section"
url = "{site.url("/section.html")}"
kind = "page"
""",
        encoding="utf-8",
    )
    assert newsmon(cfg, "init").returncode == 0

    code, screen = newsmon_tty(cfg, "crawl")

    assert code == 0, screen
    assert "old-feed: 0 new; not fetched: 50 older than 7 days" in screen, screen
    assert "section: 0 new; not fetched: 4 not article-like" in screen, screen
    assert "1 on another site" in screen, screen
    # Nothing was requested but the two listings (and robots.txt).
    assert not [p for p in site.requests if p not in ("/feed.xml", "/section.html", "/robots.txt")]

    for _ in range(2):
        result = newsmon(cfg, "crawl")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "source old-feed: 0 new; not fetched: 50 older than 7 days" in result.stderr

    report = json.loads(newsmon(cfg, "stats", "--json").stdout)
    sources = {s["name"]: s for s in report["sources"]}
    assert sources["old-feed"]["skipped"] == {"old": 50}
    assert sources["old-feed"]["held_by_filter"] is True
    assert sources["old-feed"]["filtered_runs"] == 3
    assert sources["section"]["skipped"] == {"not_article": 4, "offsite": 1}
    text = newsmon(cfg, "stats").stdout
    assert "old-feed: 0 new; 50 older than 7 days  HELD BACK BY A FILTER for 3 runs" in text

    out = tmp_path / "out"
    result = newsmon(cfg, "digest", "--dry-run", "--out", str(out))
    assert result.returncode == 0, result.stderr
    (eml,) = out.glob("*.eml")
    msg = message_from_bytes(eml.read_bytes())
    parts = {p.get_content_type(): _text(p) for p in msg.walk() if not p.is_multipart()}
    for body in parts.values():
        assert "All sources healthy" not in body
        assert "held back by a filter" in body
        assert "50 older than 7 days" in body


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def test_a_homepage_configured_as_a_feed_names_the_feeds_it_advertises(tmp_path: Path) -> None:
    with RouteSite() as site:
        site.pages["/"] = (
            "text/html",
            '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
            'href="/rss.xml"></head><body><p>Home</p></body></html>',
        )
        cfg = tmp_path / "newsmon.toml"
        cfg.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
retries = 0
extract_workers = 1
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"

[[sources]]
name = "home"
url = "{site.url("/")}"
kind = "feed"
""",
            encoding="utf-8",
        )
        assert newsmon(cfg, "init").returncode == 0
        result = newsmon(cfg, "crawl")
    assert result.returncode == 3
    assert f"an HTML page advertising feeds: {site.url('/rss.xml')}" in result.stderr
    assert "newsmon sources add URL" in result.stderr
