"""Send the immediate alerts of one crawl: exactly once per story and channel.

For each story the crawl stored that scores at or above ``alerts.threshold`` (or matched an
urgent watch rule), up to ``alerts.max_per_hour`` stories an hour (the rest are left to the
digest): 1. render the alert (fresh Message-ID / idempotency key), 2. record it ``sending``
with its exact bytes and commit, 3. send, 4. mark ``sent`` (or ``failed``). Before new
alerts, rows a previous run left ``sending`` (a crash between 3 and 4, a lost reply) or
``failed`` are sent again unchanged. A story has at most one alert per channel, ever.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from crawler.matching.names import names_in
from scheduler.alerts.message import AlertStory, email_bytes, webhook_payload
from scheduler.config import AlertOptions
from scheduler.digest.content import publication
from scheduler.mailer import Mailer
from storage import alerts as records
from storage.engine import session_scope
from storage.exceptions import DeliveryError, DeliveryUncertainError
from storage.models import Article, utcnow

logger = logging.getLogger(__name__)

EMAIL, WEBHOOK = "email", "webhook"
HOUR = dt.timedelta(hours=1)


class Webhook(Protocol):
    def post(self, payload: bytes, *, key: str) -> None: ...


@dataclass
class AlertReport:
    sent: int = 0
    resent: int = 0
    failed: int = 0
    left_to_digest: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sender:
    """Where alerts go; the digest's sender address and subject prefix are reused."""

    sender: str
    recipients: tuple[str, ...]
    prefix: str


def _story(art: Article, urgent: tuple[str, ...]) -> AlertStory:
    why = art.why or {}
    concepts = why.get("concepts") if isinstance(why.get("concepts"), dict) else {}
    parts = []
    if urgent:
        parts.append("watch-list: " + ", ".join(urgent))
    if concepts:
        parts.append("about " + ", ".join(list(concepts)[:3]))
    title = (art.title or "").strip() or art.url
    names = names_in(title, art.text or "")
    if names:
        parts.append("names: " + ", ".join(names))
    return AlertStory(
        title=title,
        publication=publication(art.site_name, art.url),
        url=art.url,
        reason="; ".join(parts),
        score=art.relevance_score,
    )


class AlertService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        options: AlertOptions,
        who: Sender,
        *,
        mailer: Mailer | None = None,
        webhook: Webhook | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.options = options
        self.who = who
        self.mailer = mailer
        self.webhook = webhook
        self.clock = clock

    def _channels(self) -> list[str]:
        out = []
        if self.mailer is not None:
            out.append(EMAIL)
        if self.webhook is not None:
            out.append(WEBHOOK)
        return out

    def _deliver(self, channel: str, payload: bytes, key: str) -> None:
        if channel == EMAIL:
            assert self.mailer is not None
            self.mailer.send(payload, sender=self.who.sender, recipients=self.who.recipients)
        else:
            assert self.webhook is not None
            self.webhook.post(payload, key=key)

    def _send_row(self, alert_id: int, channel: str, payload: bytes, key: str) -> bool:
        """Send and settle one recorded alert; True when sent."""
        try:
            self._deliver(channel, payload, key)
        except DeliveryUncertainError as exc:
            # Maybe delivered: stays ``sending``; the next run sends the same bytes again.
            with session_scope(self.sessions) as session:
                records.note_error(session, alert_id, str(exc))
            logger.error("alert #%d (%s): %s; sent again next time", alert_id, channel, exc)
            return False
        except DeliveryError as exc:
            with session_scope(self.sessions) as session:
                records.mark_failed(session, alert_id, str(exc))
            logger.error("alert #%d (%s) not delivered: %s", alert_id, channel, exc)
            return False
        with session_scope(self.sessions) as session:
            records.mark_sent(session, alert_id, self.clock())
        return True

    def resend_unsettled(self, report: AlertReport) -> None:
        channels = self._channels()
        with session_scope(self.sessions) as session:
            rows = [
                (r.id, r.channel, r.payload, r.key)
                for r in records.unsettled(session)
                if r.channel in channels
            ]
            for row in rows:
                records.note_retry(session, row[0])
        for alert_id, channel, payload, key in rows:
            if self._send_row(alert_id, channel, payload, key):
                report.resent += 1
            else:
                report.failed += 1

    def run(self, since: dt.datetime) -> AlertReport:
        """Settle earlier alerts, then alert the stories stored since ``since``."""
        report = AlertReport()
        if not self._channels():
            return report
        self.resend_unsettled(report)
        now = self.clock()
        opts = self.options
        with session_scope(self.sessions) as session:
            found = records.candidates(session, since=since, until=now, threshold=opts.threshold)
            done = records.already_alerted(session, [c.cluster_id for c in found])
            budget = opts.max_per_hour - records.stories_alerted_since(session, now - HOUR)
        for cand in found:
            if cand.cluster_id in done:
                continue
            if budget <= 0:
                report.left_to_digest += 1
                continue
            budget -= 1
            done.add(cand.cluster_id)
            for channel in self._channels():
                with session_scope(self.sessions) as session:
                    art = session.get(Article, cand.article_id)
                    if art is None:
                        break
                    story = _story(art, cand.urgent_rules)
                    key, payload = self._render(channel, story, now)
                    alert_id = records.record(
                        session,
                        cluster_id=cand.cluster_id,
                        article_id=cand.article_id,
                        channel=channel,
                        key=key,
                        payload=payload,
                        now=now,
                    )
                if alert_id is None:
                    continue  # another process alerted this story on this channel
                if self._send_row(alert_id, channel, payload, key):
                    report.sent += 1
                else:
                    report.failed += 1
        if report.left_to_digest:
            logger.info(
                "%d stor%s over alerts.max_per_hour (%d): left to the digest",
                report.left_to_digest,
                "y" if report.left_to_digest == 1 else "ies",
                opts.max_per_hour,
            )
        return report

    def _render(self, channel: str, story: AlertStory, now: dt.datetime) -> tuple[str, bytes]:
        domain = self.who.sender.rpartition("@")[2].strip("<> ") or "localhost"
        key = f"<newsmon.alert.{uuid.uuid4().hex}@{domain}>"
        if channel == EMAIL:
            payload = email_bytes(
                story,
                prefix=self.who.prefix,
                sender=self.who.sender,
                recipients=self.who.recipients,
                message_id=key,
                date=now,
            )
            return key, payload
        return key, webhook_payload(story, key=key)
