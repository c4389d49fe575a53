"""The digest end to end against a real SMTP server (aiosmtpd on loopback), on SQLite and
PostgreSQL: content, grouping, ranking, escaping, headers, and exactly-once delivery."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys
import zoneinfo
from email.utils import parsedate_to_datetime
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select

from scheduler.config import DigestOptions
from scheduler.digest.service import DigestService
from scheduler.mailer import SmtpMailer
from storage.engine import session_scope
from storage.exceptions import DeliveryError
from storage.models import Digest
from storage.records import SourceCounts
from storage.runs import finish_run, start_run
from tests.scheduler.digest_support import (
    Clock,
    SmtpSink,
    article,
    migrated,
    parts,
    seed,
    smtp_server,
)

OPTIONS = DigestOptions(
    sender="newsmon@example.org",
    recipients=("analyst@example.org", "desk@example.org"),
    subject_prefix="newsmon",
    timezone="Europe/Moscow",
    list_unsubscribe="mailto:unsubscribe@example.org",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens here once the socket is closed


def _statuses(sessions) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(sessions) as s:
        return list(s.scalars(select(Digest.status).order_by(Digest.id)))


@pytest.fixture
def seeded(db_url: str):  # type: ignore[no-untyped-def]
    engine, sessions = migrated(db_url)
    (a_id,) = seed(
        sessions, article("https://a.example/putin-purge", title="Putin purges generals", score=0.7)
    )
    seed(
        sessions,
        article(
            "https://mirror.example/copy",
            title="Copy",
            source="mirror",
            score=0.65,
            duplicate_of=a_id,
        ),
        article(
            "https://b.example/coup",
            title="<script>alert(1)</script> Coup rumours & denials",
            source="bsite",
            score=0.95,
            site_name="The B Times",
        ),
        article("https://c.example/football", title="Football results", score=0.1, relevant=False),
    )
    with session_scope(sessions) as s:
        run = start_run(s, ["example", "bsite", "brokenfeed"], pid=1)
        finish_run(
            s,
            run,
            "partial",
            {},
            {
                "example": SourceCounts(discovered=5, fetched=3, new=2, relevant=1, duplicates=1),
                "bsite": SourceCounts(discovered=2, fetched=2, new=1, relevant=1),
                "brokenfeed": SourceCounts(errors=1, last_error="HTTP 503"),
            },
        )
    yield sessions
    engine.dispose()


def test_digest_arrives_grouped_ranked_escaped_with_headers(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with smtp_server() as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        outcomes = service.run()
    assert [o.action for o in outcomes] == ["sent"]
    assert len(sink.received) == 1
    got = sink.received[0]
    assert got.sender == "newsmon@example.org"
    assert sorted(got.recipients) == ["analyst@example.org", "desk@example.org"]
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    local_day = clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")).date()
    # The subject names the top story (most relevant first).
    assert msg["Subject"] == (
        f"newsmon digest {local_day.isoformat()}: 2 new stories: "
        "<script>alert(1)</script> Coup rumours & denials"
    )
    assert msg["Message-ID"] == outcomes[0].message_id and msg["Message-ID"].endswith(
        "@example.org>"
    )
    assert abs((parsedate_to_datetime(msg["Date"]) - clock.now).total_seconds()) < 1
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe@example.org>"
    text, html = parts(msg)

    # ranking: the 0.95 story before the 0.7 one; the irrelevant article is absent
    assert text.index("Coup rumours") < text.index("Putin purges generals")
    assert "Football" not in text and "Football" not in html
    # grouping: the copy is folded under its original, not a story of its own
    assert "Also reported by: mirror.example (https://mirror.example/copy)" in text
    assert "Copy" not in text
    assert html.count('class="story"') == 2
    also = html.index('<div class="also"')
    assert html.index('<a href="https://mirror.example/copy">mirror.example</a>') > also
    # details: source, score, why, first sentences, link
    assert "(The B Times)" in text and "score" not in text  # the publication's own name
    assert "Putin purges generals (a.example)" in text  # else its host
    # Reasons in words: the concepts and the names; no stems, no seed file names.
    assert "Why: about purge, elite split; names: Putin" in text
    assert "которы" not in text and "seed-1.txt" not in text
    assert "First sentence here. Second sentence follows. Third one." in text
    assert "Fourth is cut" not in text
    assert "https://a.example/putin-purge" in text
    # the hostile title is shown as text in HTML, never as markup
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Coup rumours &amp; denials" in html
    assert "<script>alert(1)</script> Coup rumours & denials" in text
    # header counts and source health
    assert "5 pages crawled in 1 run, 3 new articles, 2 relevant, 1 duplicates folded" in text
    assert "- brokenfeed: failed in 1 run, 1 failure in a row (last error: HTTP 503)" in text
    assert "<b>brokenfeed</b>: failed" in html


def test_next_digest_has_only_new_stories_and_says_nothing_new(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with smtp_server() as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        service.run()
        clock.advance(days=1)
        service.run()  # nothing new -> short note
        seed(seeded, article("https://d.example/succession", title="Succession talk", score=0.8))
        clock.advance(days=1)
        service.run()
    texts = [parts(m)[0] for m in sink.messages]
    assert len(texts) == 3
    assert "Nothing new" in texts[1] and "nothing new" in sink.messages[1]["Subject"]
    assert "Putin purges" not in texts[1]
    assert "Succession talk" in texts[2]
    assert "Putin purges" not in texts[2] and "Coup rumours" not in texts[2]
    assert "1 new story" in sink.messages[2]["Subject"]


def test_a_second_nothing_new_note_the_same_day_is_not_sent(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    # 10:00 tomorrow in the digest's time zone: the next hours stay on that day
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    tomorrow = clock.now.astimezone(moscow).date() + dt.timedelta(days=1)
    clock.now = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=moscow)
    with smtp_server() as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        service.run()  # the stories
        clock.advance(hours=1)
        first = service.run()  # nothing new: one short note
        clock.advance(hours=1)
        again = service.run()  # by hand, the same day: no second note
        clock.advance(days=1)
        next_day = service.run()
    assert [o.action for o in first + again + next_day] == ["sent", "skipped", "sent"]
    subjects = [m["Subject"] for m in sink.messages]
    assert len(subjects) == 3
    assert "nothing new" in subjects[1] and "nothing new" in subjects[2]


def test_send_empty_false_sends_nothing_on_a_quiet_day(sqlite_url: str) -> None:
    engine, sessions = migrated(sqlite_url)
    opts = msgspec.structs.replace(OPTIONS, send_empty=False)
    with smtp_server() as (sink, port):
        out = DigestService(
            sessions, opts, mailer=SmtpMailer("127.0.0.1", port, security="none")
        ).run()
    assert [o.action for o in out] == ["skipped"]
    assert sink.received == [] and _statuses(sessions) == []
    engine.dispose()


@pytest.mark.parametrize("failure", ["down", "refusing"])
def test_smtp_failure_marks_nothing_and_next_run_delivers_everything_once(
    seeded, failure: str
) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    if failure == "down":
        broken = DigestService(
            seeded,
            OPTIONS,
            mailer=SmtpMailer("127.0.0.1", _free_port(), security="none", timeout=5),
            clock=clock,
        )
        with pytest.raises(DeliveryError) as err:
            broken.run()
    else:
        with smtp_server() as (sink, port):
            sink.refuse = True
            broken = DigestService(
                seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
            )
            with pytest.raises(DeliveryError) as err:
                broken.run()
        assert sink.received == []
    assert err.value.exit_code == 5
    assert _statuses(seeded) == ["failed"]

    # a day later (downtime): the new article and the undelivered ones all go out, once
    seed(seeded, article("https://d.example/later", title="Later story", score=0.5))
    clock.advance(days=1)
    with smtp_server() as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        service.run()
        clock.advance(days=1)
        service.run()
    first, second = (parts(m)[0] for m in sink.messages)
    for title in ("Coup rumours", "Putin purges generals", "Later story"):
        # once in the headline list, once as a story
        assert first.split("Headlines\n")[1].count(title) == 2
        assert title not in second
    assert "3 new stories" in sink.messages[0]["Subject"]
    assert _statuses(seeded) == ["failed", "sent", "sent"]


class SimulatedCrash(BaseException):
    """Stands for the process dying after the server accepted the message."""


class CrashAfterSend:
    def __init__(self, inner: SmtpMailer) -> None:
        self.inner = inner

    def send(self, message: bytes, *, sender: str, recipients) -> None:  # type: ignore[no-untyped-def]
        self.inner.send(message, sender=sender, recipients=recipients)
        raise SimulatedCrash


def test_crash_between_send_and_mark_resends_the_same_message_only(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with smtp_server() as (sink, port):
        smtp = SmtpMailer("127.0.0.1", port, security="none")
        with pytest.raises(SimulatedCrash):
            DigestService(seeded, OPTIONS, mailer=CrashAfterSend(smtp), clock=clock).run()
        assert _statuses(seeded) == ["sending"]
        seed(seeded, article("https://e.example/new", title="Brand new story", score=0.6))
        clock.advance(days=1)
        outcomes = DigestService(seeded, OPTIONS, mailer=smtp, clock=clock).run()
    assert [o.action for o in outcomes] == ["resent", "sent"]
    assert len(sink.received) == 3
    crashed, resent, fresh = sink.received
    # the interrupted digest went out again byte for byte, same Message-ID (dedupable)
    assert resent.raw == crashed.raw
    assert resent.message["Message-ID"] == crashed.message["Message-ID"]
    # the new digest carries only what the interrupted one did not
    text = parts(fresh.message)[0]
    assert "Brand new story" in text
    assert "Coup rumours" not in text and "Putin purges" not in text
    assert fresh.message["Message-ID"] != crashed.message["Message-ID"]
    assert _statuses(seeded) == ["sent", "sent"]


def test_failed_resend_keeps_the_digest_pending(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with smtp_server() as (sink, port), pytest.raises(SimulatedCrash):
        DigestService(
            seeded,
            OPTIONS,
            mailer=CrashAfterSend(SmtpMailer("127.0.0.1", port, security="none")),
            clock=clock,
        ).run()
    down = SmtpMailer("127.0.0.1", _free_port(), security="none", timeout=5)
    with pytest.raises(DeliveryError):
        DigestService(seeded, OPTIONS, mailer=down, clock=clock).run()
    # still pending (never replaced by a different digest over the same stories)
    assert _statuses(seeded) == ["sending"]
    with smtp_server() as (sink2, port2):
        DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port2, security="none"), clock=clock
        ).run()
    assert [r.raw for r in sink2.received] == [sink.received[0].raw]


def test_recipient_lists_are_tracked_separately(seeded) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    other = msgspec.structs.replace(OPTIONS, recipients=("boss@example.org",))
    with smtp_server() as (sink, port):
        mailer = SmtpMailer("127.0.0.1", port, security="none")
        DigestService(seeded, OPTIONS, mailer=mailer, clock=clock).run()
        DigestService(seeded, other, mailer=mailer, clock=clock).run()
    assert all("2 new stories" in m["Subject"] for m in sink.messages)


def test_stories_beyond_max_stories_are_listed_briefly_and_count_delivered(sqlite_url: str) -> None:
    engine, sessions = migrated(sqlite_url)
    seed(
        sessions,
        *(article(f"https://x.example/{i}", title=f"Story {i}", score=i / 10) for i in range(1, 6)),
    )
    opts = msgspec.structs.replace(OPTIONS, max_stories=2)
    clock = Clock()
    with smtp_server() as (sink, port):
        service = DigestService(
            sessions, opts, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        service.run()
        clock.advance(days=1)
        service.run()
    text = parts(sink.messages[0])[0]
    assert text.index("1. Story 5") < text.index("2. Story 4")
    assert "More stories (3):" in text and "- Story 1 (x.example)" in text
    assert "5 new stories" in sink.messages[0]["Subject"]
    assert "nothing new" in sink.messages[1]["Subject"]
    engine.dispose()


class RudeGoodbye(SmtpSink):
    """Accepts the message (250 to DATA) and then answers QUIT with 421 instead of 221."""

    async def handle_QUIT(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        return "421 4.3.2 closing connection"


def test_a_digest_accepted_by_the_server_counts_as_sent_whatever_the_reply_to_quit(
    seeded,
) -> None:  # type: ignore[no-untyped-def]
    # The 250 reply to DATA is where the server takes the message; an odd reply to the QUIT
    # after it must not mark the digest failed (its stories would go out again tomorrow).
    clock = Clock()
    with smtp_server(RudeGoodbye()) as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        outcomes = service.run()
        assert [o.action for o in outcomes] == ["sent"]
        clock.advance(days=1)
        service.run()
    assert _statuses(seeded) == ["sent", "sent"]
    first, second = (parts(m)[0] for m in sink.messages)
    assert "Coup rumours" in first and "Coup rumours" not in second


class SlowToAnswer(SmtpSink):
    """Takes the whole message, then answers the final dot only after the client gave up."""

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(3)
        return reply


def test_a_lost_reply_to_the_data_resends_the_same_message_never_a_new_digest(
    seeded,
) -> None:  # type: ignore[no-untyped-def]
    # The server has the whole message but its 250 never reaches us (timeout): whether it took
    # the message is unknown, as after a crash between sending and marking. The stories must
    # not come back in a different digest (another Message-ID) the reader cannot fold.
    clock = Clock()
    with smtp_server(SlowToAnswer()) as (slow, port):
        impatient = SmtpMailer("127.0.0.1", port, security="none", timeout=1)
        with pytest.raises(DeliveryError, match="uncertain") as err:
            DigestService(seeded, OPTIONS, mailer=impatient, clock=clock).run()
    assert err.value.exit_code == 5
    assert len(slow.received) == 1
    assert _statuses(seeded) == ["sending"]

    seed(seeded, article("https://e.example/new", title="Brand new story", score=0.6))
    clock.advance(days=1)
    with smtp_server() as (sink, port):
        service = DigestService(
            seeded, OPTIONS, mailer=SmtpMailer("127.0.0.1", port, security="none"), clock=clock
        )
        outcomes = service.run()
        clock.advance(days=1)
        service.run()
    first = slow.received[0]
    assert "Coup rumours" in parts(first.message)[0]
    # every message that carries its stories is the uncertain one, byte for byte
    carrying = [r for r in [first, *sink.received] if "Coup rumours" in parts(r.message)[0]]
    assert len(carrying) == 2
    assert {r.message["Message-ID"] for r in carrying} == {first.message["Message-ID"]}
    assert all(r.raw == first.raw for r in carrying)
    assert [o.action for o in outcomes] == ["resent", "sent"]
    resent, fresh, quiet = sink.received
    assert resent.raw == first.raw
    text = parts(fresh.message)[0]
    assert "Brand new story" in text and "Putin purges" not in text
    assert "Putin purges" not in parts(quiet.message)[0]
    assert _statuses(seeded) == ["sent", "sent", "sent"]


def test_newsmon_digest_exits_5_and_says_the_same_message_goes_out_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine, sessions = migrated(sqlite_url)
    seed(sessions, article("https://a.example/1", title="Purge in the Kremlin"))
    engine.dispose()
    cfg = tmp_path / "newsmon.toml"

    def newsmon_digest(port: int) -> subprocess.CompletedProcess[str]:
        cfg.write_text(
            f'[storage]\nurl = "{sqlite_url}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 1\n'
            '[digest]\nrecipients = ["a@example.org"]\n'
            "[crawl]\nallow_private_addresses = true\n"
            '[[sources]]\nname = "local"\nurl = "http://127.0.0.1:9/feed.xml"\nkind = "feed"\n'
        )
        return subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "--config", str(cfg), "digest"],
            capture_output=True,
            text=True,
            timeout=120,
        )

    with smtp_server(SlowToAnswer()) as (slow, port):
        lost = newsmon_digest(port)
    assert lost.returncode == 5, lost.stderr
    message_id = slow.messages[0]["Message-ID"]
    assert "delivery is uncertain" in lost.stderr
    assert f"the next run sends the same message again (Message-ID {message_id})" in lost.stderr
    with smtp_server() as (sink, port):
        again = newsmon_digest(port)
    assert again.returncode == 0, again.stderr
    assert "digest resent: " in again.stdout and message_id in again.stdout
    assert [r.raw for r in sink.received] == [slow.received[0].raw]
