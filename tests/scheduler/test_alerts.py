"""Immediate alerts: a real SMTP server (aiosmtpd) and a local webhook receiver; exactly once
per story, across failures and a crash between sending and marking sent."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scheduler.alerts.service import AlertService, Sender
from scheduler.alerts.webhook import WebhookSender
from scheduler.config import AlertOptions, parse_config
from scheduler.mailer import SmtpMailer
from storage.engine import session_scope
from storage.exceptions import ConfigError
from storage.models import Alert
from tests.scheduler.digest_support import Clock, article, migrated, seed, smtp_server
from tests.scheduler.webhook_support import WebhookReceiver

WHO = Sender("newsmon@example.org", ("analyst@example.org",), "newsmon")
URGENT = {"watch": ["governors"], "urgent": True, "concepts": {}}


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine, factory = migrated(db_url)
    yield factory
    engine.dispose()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def _seed_stories(sessions: sessionmaker[Session]) -> list[int]:
    (big,) = seed(
        sessions,
        article("https://a.example/coup", title="Coup attempt in Moscow", score=0.98),
    )
    return [
        big,
        *seed(
            sessions,
            article(
                "https://b.example/copy", title="Coup attempt (copy)", score=0.99, duplicate_of=big
            ),
            article("https://c.example/quiet", title="A quiet reshuffle", score=0.8),
            article(
                "https://d.example/park",
                title="Governor opens a park",
                score=0.1,
                relevant=True,
                why=URGENT,
            ),
        ),
    ]


def _statuses(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    with session_scope(sessions) as s:
        return [
            (a.cluster_id, a.channel, a.status) for a in s.scalars(select(Alert).order_by(Alert.id))
        ]


def test_big_and_urgent_stories_are_alerted_once_by_mail_and_webhook(
    sessions: sessionmaker[Session], hook: WebhookReceiver
) -> None:
    big, _copy, _quiet, urgent = _seed_stories(sessions)
    clock = Clock()
    since = clock.now - dt.timedelta(hours=1)
    with smtp_server() as (sink, port):
        service = AlertService(
            sessions,
            AlertOptions(threshold=0.95, email=True, webhook_url=hook.url),
            WHO,
            mailer=SmtpMailer("127.0.0.1", port, security="none"),
            webhook=WebhookSender(hook.url),
            clock=clock,
        )
        report = service.run(since)
        again = service.run(since)  # the next crawl: nothing twice
    assert (report.sent, again.sent, again.resent) == (4, 0, 0)
    subjects = sorted(m["Subject"] for m in sink.messages)
    assert subjects == [
        "newsmon alert: Coup attempt in Moscow",
        "newsmon alert: Governor opens a park",
    ]
    body = sink.messages[0].get_body(preferencelist=("plain",))
    assert body is not None and "https://" in body.get_content()
    payloads = [json.loads(p.body) for p in hook.posts]
    assert len(payloads) == 2
    texts = sorted(p["text"] for p in payloads)
    assert texts[0].startswith("*<https://a.example/coup|Coup attempt in Moscow>* (a.example)")
    assert "watch-list: governors" in texts[1]
    assert {p["newsmon"]["url"] for p in payloads} == {
        "https://a.example/coup",
        "https://d.example/park",
    }
    assert {c for c, _, _ in _statuses(sessions)} == {big, urgent}


def test_at_most_max_per_hour_the_rest_left_to_the_digest(
    sessions: sessionmaker[Session], hook: WebhookReceiver
) -> None:
    _seed_stories(sessions)
    clock = Clock()
    service = AlertService(
        sessions,
        AlertOptions(max_per_hour=1, webhook_url=hook.url),
        WHO,
        webhook=WebhookSender(hook.url),
        clock=clock,
    )
    report = service.run(clock.now - dt.timedelta(hours=1))
    assert (report.sent, report.left_to_digest) == (1, 1)
    assert len(hook.posts) == 1


class CrashAfterSending:
    """The real webhook, then the process dies before the alert is marked sent."""

    def __init__(self, real: WebhookSender) -> None:
        self.real = real

    def post(self, payload: bytes, *, key: str) -> None:
        self.real.post(payload, key=key)
        raise KeyboardInterrupt("killed between send and mark")


def test_a_crash_between_send_and_mark_resends_the_same_alert_never_a_second_one(
    sessions: sessionmaker[Session], hook: WebhookReceiver
) -> None:
    seed(sessions, article("https://a.example/coup", title="Coup attempt in Moscow", score=0.98))
    clock = Clock()
    opts = AlertOptions(webhook_url=hook.url)
    since = clock.now - dt.timedelta(hours=1)
    crashing = AlertService(
        sessions, opts, WHO, webhook=CrashAfterSending(WebhookSender(hook.url)), clock=clock
    )
    with pytest.raises(KeyboardInterrupt):
        crashing.run(since)
    assert [s for _, _, s in _statuses(sessions)] == ["sending"]

    clock.advance(minutes=30)
    service = AlertService(sessions, opts, WHO, webhook=WebhookSender(hook.url), clock=clock)
    report = service.run(since)

    assert (report.resent, report.sent) == (1, 0)
    assert [s for _, _, s in _statuses(sessions)] == ["sent"]
    # The same bytes and the same idempotency key: a receiver shows one alert.
    assert len(hook.posts) == 2
    assert hook.posts[0].body == hook.posts[1].body
    assert hook.posts[0].headers["idempotency-key"] == hook.posts[1].headers["idempotency-key"]
    assert service.run(since).resent == 0 and len(hook.posts) == 2


def test_a_refused_alert_is_retried_by_the_next_crawl(
    sessions: sessionmaker[Session], hook: WebhookReceiver
) -> None:
    seed(sessions, article("https://a.example/coup", title="Coup attempt in Moscow", score=0.98))
    clock = Clock()
    service = AlertService(
        sessions,
        AlertOptions(webhook_url=hook.url),
        WHO,
        webhook=WebhookSender(hook.url),
        clock=clock,
    )
    hook.status = 500
    first = service.run(clock.now - dt.timedelta(hours=1))
    assert (first.sent, first.failed) == (0, 1)
    assert [s for _, _, s in _statuses(sessions)] == ["failed"]
    hook.status = 200
    second = service.run(clock.now - dt.timedelta(hours=1))
    assert (second.resent, second.sent) == (1, 0)
    assert len(hook.posts) == 1
    assert [s for _, _, s in _statuses(sessions)] == ["sent"]


def test_alert_settings_are_checked_by_name(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    ok = parse_config(
        '[digest]\nrecipients = ["a@example.org"]\n'
        '[alerts]\nemail = true\nwebhook_url = "https://hooks.example/x"\nthreshold = 0.9\n',
        path,
    )
    assert ok.alerts.active and ok.alerts.threshold == 0.9
    assert not parse_config("", path).alerts.active
    for text, key in (
        ("[alerts]\nthreshold = 1.5\n", "alerts.threshold"),
        ('[alerts]\nwebhook_url = "ftp://x"\n', "alerts.webhook_url"),
        ("[alerts]\nemail = true\n", "alerts.recipients"),
        ('[alerts]\nrecipients = ["a@x.org, b@x.org"]\n', "alerts.recipients"),
        ("[alerts]\nmax_per_hour = -1\n", "alerts.max_per_hour"),
    ):
        with pytest.raises(ConfigError) as err:
            parse_config(text, path)
        assert err.value.key == key and str(path) in str(err.value)
