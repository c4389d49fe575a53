"""A small archive behind a review desk: real SQLite, the real app, served by uvicorn on
127.0.0.1 port 0 for the browser tests (Playwright driving Debian's chromium)."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from scheduler.context import Context
from scheduler.desk.app import DeskState, create_app
from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.records import ArticleRecord

NOW = dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.UTC)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
HOSTILE_TITLE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'

STORIES: list[dict[str, Any]] = [
    {"key": "coup", "title": "Generals plot against the Kremlin, officials say",
     "text": "Senior generals discussed a coup against Putin, according to officials.\n"
             "The Kremlin denied any split in the elite, while analysts spoke of a purge.",
     "score": 0.97, "source": "ledger", "site": "The Ledger",
     "why": {"terms": ["coup", "purge", "кремль_stem"], "concepts": {"coup": 2.0, "purge": 1.0},
             "summary": "about coup, purge in connection with Russia's leadership",
             "nearest_seed": "001_seed.txt"}},
    {"key": "succession", "title": "Who comes after Putin? The succession question returns",
     "text": "Talk of succession is back in Moscow.\nThe elite wonders about the heir.",
     "score": 0.91, "source": "courier", "site": None,
     "why": {"terms": ["succession", "heir"], "concepts": {"succession": 1.5},
             "summary": "about succession in connection with Russia's leadership"}},
    {"key": "mutiny", "title": "Mutiny fears grow in the army",
     "text": "Commanders warn of a mutiny as wages go unpaid.", "score": 0.88,
     "source": "ledger", "site": "The Ledger",
     "why": {"terms": ["mutiny"], "concepts": {"mutiny": 1.2}, "summary": "about mutiny"}},
    {"key": "ru", "title": "Кремль готовит перестановки в правительстве",
     "text": "Путин готовит чистку элиты, сообщают источники в Кремле.", "score": 0.86,
     "source": "vedomosti", "site": "Ведомости", "language": "ru",
     "why": {"terms": ["чистку"], "concepts": {"purge": 1.0}, "summary": "about purge"}},
    {"key": "protest", "title": "Protests spread to three more cities",
     "text": "Protest against the regime spread on Sunday.", "score": 0.8,
     "source": "courier", "site": None,
     "why": {"terms": ["protest"], "concepts": {"protest": 1.0}, "summary": "about protest"}},
    {"key": "arrest", "title": "Deputy minister arrested in treason case",
     "text": "A deputy defence minister was arrested on treason charges.", "score": 0.77,
     "source": "ledger", "site": "The Ledger",
     "why": {"terms": ["arrested", "treason"], "concepts": {"arrest": 1.0, "treason": 1.0},
             "summary": "about arrest, treason"}},
    {"key": "hostile", "title": HOSTILE_TITLE,
     "text": 'Click <a href="javascript:alert(1)">here</a> <script>alert("x")</script> coup.',
     "score": 0.7, "source": "courier", "site": "<b>Evil</b>",
     "url": "javascript:alert(document.cookie)",
     "why": {"terms": ["coup"], "concepts": {"coup": 1.0}, "summary": "<i>about coup</i>"}},
    {"key": "garden", "title": "Spring gardening tips", "text": "Plant tulips in autumn.",
     "score": 0.05, "source": "courier", "site": None,
     "why": {"terms": [], "concepts": {}, "summary": "off topic"}},
]  # fmt: skip


@dataclass
class Desk:
    config_path: Path
    db_url: str
    ids: dict[str, int] = field(default_factory=dict)
    copy_id: int = 0

    def context(self, environ: dict[str, str] | None = None) -> Context:
        return Context(config_path=str(self.config_path), environ=environ or {})


def _record(i: int, s: dict[str, Any], **over: Any) -> ArticleRecord:
    url = s.get("url") or f"https://{s['source']}.example/{s['key']}"
    values: dict[str, Any] = {
        "url": url, "canonical_url": url, "source": s["source"], "title": s["title"],
        "author": "A. Writer", "published_at": NOW - dt.timedelta(hours=3 + i),
        "fetched_at": NOW - dt.timedelta(hours=2 + i), "language": s.get("language", "en"),
        "site_name": s["site"], "text": s["text"],
        "text_hash": hashlib.sha256(s["text"].encode()).hexdigest(), "minhash": None,
        "relevance_score": s["score"], "relevant": s["score"] >= 0.5, "why": s["why"],
        "model_version": "test-1", "duplicate_of": None, "duplicate_kind": None,
        "cluster_id": None, "crawl_run_id": None,
    }  # fmt: skip
    values.update(over)
    return ArticleRecord(**values)


def build_desk(tmp_path: Path, reviewer: str | None = "ann", url: str | None = None) -> Desk:
    url = url or f"sqlite:///{tmp_path / 'newsmon.db'}"
    cfg = tmp_path / "newsmon.toml"
    ui = f'[ui]\nreviewer = "{reviewer}"\n' if reviewer else ""
    cfg.write_text(f'[storage]\nurl = "{url}"\n\n[relevance]\nmodel_dir = "model"\n\n{ui}')
    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(cfg, url)
    with make_session_factory(engine, write=True).begin() as session:
        for i, s in enumerate(STORIES):
            desk.ids[s["key"]], _ = insert_article(session, _record(i, s))
        original = desk.ids["coup"]
        copy = _record(
            0, {**STORIES[0], "source": "courier", "site": "Courier Daily",
                "url": "https://courier.example/copy-of-coup"},
            title="Generals plot against the Kremlin (syndicated)",
            fetched_at=NOW - dt.timedelta(hours=1), duplicate_of=original,
            duplicate_kind="near", cluster_id=original,
        )  # fmt: skip
        desk.copy_id, _ = insert_article(session, copy)
    engine.dispose()
    return desk


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return build_desk(tmp_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    state: DeskState


@pytest.fixture
def served(desk: Desk) -> Iterator[Served]:
    """The desk on a real uvicorn server on 127.0.0.1, with a fixed clock."""
    with serve(desk) as running:
        yield running


@contextmanager
def serve(desk: Desk, inbox_size: int = 50) -> Iterator[Served]:
    state = DeskState(ctx=desk.context(), clock=lambda: NOW, inbox_size=inbox_size)
    app = create_app(state)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the desk did not start")
        time.sleep(0.02)
    yield Served(f"http://127.0.0.1:{port}", state)
    server.should_exit = True
    thread.join(10)


def screenshot(pg: Any, name: str) -> None:
    """Keep a picture of the page (tests/screenshots/desk-NAME.png, not versioned) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"desk-{name}.png"), full_page=True)
