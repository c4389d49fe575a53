"""Helpers for the digest, mailer and cron tests: a real SMTP server on loopback and a way
to seed articles through the storage API (no crawler needed)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import insert_article
from storage.engine import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.records import ArticleRecord


class Clock:
    """A controllable clock for DigestService; starts a minute ahead of the real time so that
    rows written with the real time (crawl runs) fall inside the digest window."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


class _LoopbackController(Controller):
    """aiosmtpd's Controller bound to 127.0.0.1 port 0 (it cannot report the port itself)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SmtpSink:
    """Collects what the SMTP server accepted; ``refuse`` makes it answer 554 to DATA."""

    refuse: bool = False
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 refused by test"
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]


@contextmanager
def smtp_server(sink: SmtpSink | None = None, **kwargs: Any) -> Iterator[tuple[SmtpSink, int]]:
    """A running SMTP server on 127.0.0.1; yields (sink, port)."""
    sink = sink or SmtpSink()
    ctl = _LoopbackController(sink, hostname="127.0.0.1", port=0, **kwargs)
    ctl.start()
    try:
        yield sink, ctl.port
    finally:
        ctl.stop()


def migrated(url: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url)
    upgrade(engine)
    return engine, make_session_factory(engine, write=True)


def article(
    url: str,
    *,
    title: str = "Kremlin reshuffle",
    source: str = "example",
    score: float = 0.9,
    relevant: bool = True,
    text: str = "First sentence here. Second sentence follows. Third one. Fourth is cut.",
    duplicate_of: int | None = None,
    fetched_at: dt.datetime | None = None,
    published_at: dt.datetime | None = None,
    why: dict[str, Any] | None = None,
    site_name: str | None = None,
) -> ArticleRecord:
    now = dt.datetime.now(dt.UTC)
    return ArticleRecord(
        url=url,
        canonical_url=url,
        source=source,
        title=title,
        author=None,
        published_at=published_at or now - dt.timedelta(hours=3),
        fetched_at=fetched_at or now,
        language="en",
        site_name=site_name,
        text=text,
        text_hash=url,
        minhash=None,
        relevance_score=score,
        relevant=relevant,
        why=why
        if why is not None
        else {
            "terms": ["kremlin", "purge", "которы"],
            "nearest_seed": "seed-1.txt",
            "concepts": {"purge": 1.4, "elite split": 0.9},
            "summary": "Elite split.",
        },
        model_version="test",
        duplicate_of=duplicate_of,
        duplicate_kind="near" if duplicate_of else None,
        cluster_id=None,
        crawl_run_id=None,
    )


def seed(sessions: sessionmaker[Session], *records: ArticleRecord) -> list[int]:
    """Insert articles in order; a record may name ``duplicate_of`` by an earlier id."""
    ids: list[int] = []
    with session_scope(sessions) as session:
        for rec in records:
            ids.append(insert_article(session, rec)[0])
    return ids


def parts(msg: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative digest."""
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    norm = (plain.get_content(), html.get_content())
    return norm[0].replace("\r\n", "\n"), norm[1].replace("\r\n", "\n")
