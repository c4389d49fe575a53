"""Watch-lists end to end: a crawl marks the articles a ``[[watch]]`` rule matches, whatever
their score; the digest carries them marked with the rule's name; ``stats`` counts them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from tests.e2e.route_site import RouteSite
from tests.scheduler.webhook_support import WebhookReceiver

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

ARTICLES = {
    "/ru/park-otkryt-v-tule": (
        "В Туле открыли новый парк",
        "В субботу в центре Тулы открыли новый городской парк с фонтанами и детскими "
        "площадками. На открытии выступил губернатор Алексей Дюмин, который поблагодарил "
        "строителей и пообещал, что к лету появятся новые велосипедные дорожки. ",
    ),
    "/en/wheat-harvest-record": (
        "Wheat harvest sets a record in the south",
        "Farmers in the southern plains brought in a record wheat harvest this year, helped "
        "by a mild spring and late rains. Grain elevators are full and prices have fallen, "
        "and exporters expect a busy season at the ports. ",
    ),
    "/en/football-results-weekend": (
        "Football results of the weekend",
        "The home side won two-nil on Saturday after a late goal from the captain, and the "
        "league leaders drew away from home. The cup draw takes place on Monday evening "
        "and the coaches were already talking about the next round. ",
    ),
}


def _page(title: str, paragraph: str) -> str:
    body = "".join(f"<p>{paragraph} ({i}.)</p>\n" for i in range(5))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def _feed(base: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><pubDate>{now}</pubDate></item>"
        for p, (t, _) in ARTICLES.items()
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>{items}</channel></rss>"
    )


@pytest.fixture
def site() -> Iterator[RouteSite]:
    with RouteSite() as s:
        s.pages["/feed.xml"] = ("application/rss+xml", _feed)
        for path, (title, para) in ARTICLES.items():
            s.pages[path] = ("text/html; charset=utf-8", _page(title, para))
        yield s


def newsmon(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_watched_names_reach_the_digest_whatever_their_score(
    site: RouteSite, tmp_path: Path
) -> None:
    """...and an urgent rule's match is alerted at once, by the crawl that stored it."""
    with WebhookReceiver() as hook:
        _run(site, tmp_path, hook)


def _run(site: RouteSite, tmp_path: Path, hook: WebhookReceiver) -> None:
    cfg = tmp_path / "newsmon.toml"
    cfg.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / "n.db"}"
[crawl]
allow_private_addresses = true
download_delay = 0.0
retries = 0
timeout = 10
extract_workers = 1
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"
[digest]
recipients = ["analyst@example.org"]

[[sources]]
name = "local"
url = "{site.url("/feed.xml")}"
kind = "feed"

[alerts]
webhook_url = "{hook.url}"

[[watch]]
name = "Дюмин"
terms = ["Дюмин"]
urgent = true

[[watch]]
name = "grain"
terms = ["wheat harvest"]
sources = ["local"]
""",
        encoding="utf-8",
    )
    assert newsmon(cfg, "init").returncode == 0
    crawl = newsmon(cfg, "crawl")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "alerts: 1 sent" in crawl.stderr
    (post,) = hook.posts
    alert = json.loads(post.body)
    assert alert["newsmon"]["title"] == "В Туле открыли новый парк"
    assert "watch-list: Дюмин" in alert["text"]
    # The next crawl sends nothing again.
    assert newsmon(cfg, "crawl").returncode == 0
    assert len(hook.posts) == 1

    report = json.loads(newsmon(cfg, "stats", "--json").stdout)
    assert {w["rule"]: w["articles"] for w in report["watch"]} == {"Дюмин": 1, "grain": 1}
    assert "Watch-lists (articles matched)" in newsmon(cfg, "stats").stdout

    out = tmp_path / "out"
    result = newsmon(cfg, "digest", "--dry-run", "--out", str(out))
    assert result.returncode == 0, result.stderr
    (eml,) = out.glob("*.eml")
    msg = message_from_bytes(eml.read_bytes())
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode("utf-8")
        assert "В Туле открыли новый парк" in body
        assert "Wheat harvest sets a record in the south" in body
        assert "watch: Дюмин" in body and "watch: grain" in body
        assert "Football results" not in body
