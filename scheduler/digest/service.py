"""Build, record, send and settle one digest: the exactly-once protocol.

Order of events for a new digest (each step committed before the next):

1. select the undelivered stories and render the message (fresh Message-ID);
2. record it as ``sending`` with the ids of every article it carries and the exact bytes;
3. hand it to the mailer;
4. mark it ``sent`` - or ``failed`` when the mailer raised DeliveryError (exit 5), in which case
   none of its articles counts as delivered and the next digest carries them again.

An interrupted run (crash, kill -9, power loss) between 2 and 4 leaves a ``sending`` row; so does
DeliveryUncertainError (exit 5): the whole message was written but the server's reply to it was
lost (timeout, dropped connection). Whether the server got that message is unknown, so the next
run never builds a *different* digest over those articles: it first sends the stored message
again, byte for byte with the same Message-ID (mail systems that saw it already drop it as a
duplicate; at worst the reader gets two identical copies, never two digests listing the same
story), marks it ``sent``, and only then builds a new digest from what is left. If that resend
fails the row stays ``sending`` and is retried next time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from scheduler.config import DigestOptions
from scheduler.digest.content import DigestContent, select_content
from scheduler.digest.message import build_message, new_message_id, subject_for
from scheduler.digest.render import render
from scheduler.mailer import Mailer
from storage import digests
from storage.engine import session_scope
from storage.exceptions import DeliveryError, DeliveryUncertainError
from storage.models import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one step of a digest run did.

    ``action``: ``sent`` (new digest delivered), ``resent`` (an interrupted digest sent again),
    ``skipped`` (nothing new and ``send_empty`` is off), ``dry-run`` (written, not sent).
    """

    action: str
    subject: str
    story_count: int
    digest_id: int | None = None
    message_id: str | None = None
    eml_path: Path | None = None
    text: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A digest built but not yet recorded."""

    content: DigestContent
    subject: str
    message: EmailMessage
    text: str


class DigestService:
    """Runs the digest for one recipient list. Sessions, mailer and clock are injected."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        options: DigestOptions,
        *,
        mailer: Mailer | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        links: Callable[[int], dict[str, str]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.links = links
        self.options = options
        self.mailer = mailer
        self.clock = clock
        self.key = digests.recipients_key(options.recipients)

    @property
    def recipients(self) -> Sequence[str]:
        return self.options.recipients

    def prepare(self, session: Session, now: dt.datetime) -> Prepared:
        """Select and render the digest as of ``now`` (touches nothing)."""
        opts = self.options
        content = select_content(session, key=self.key, now=now, max_stories=opts.max_stories)
        subject = subject_for(
            content, prefix=opts.subject_prefix, timezone=opts.timezone, topic=opts.topic
        )
        rendered = render(content, timezone=opts.timezone, title=subject, links=self.links)
        message = build_message(
            rendered,
            subject=subject,
            sender=opts.sender,
            recipients=opts.recipients,
            message_id=new_message_id(opts.sender),
            date=now,
            list_unsubscribe=opts.list_unsubscribe,
        )
        return Prepared(content, subject, message, rendered.text)

    def _quiet_day_noted(self, session: Session, now: dt.datetime) -> bool:
        """Was the last digest delivered today (local date) a "nothing new" note?"""
        last = digests.last_sent(session, self.key)
        if last is None or last.story_count:
            return False
        tz = ZoneInfo(self.options.timezone)
        return last.created_at.astimezone(tz).date() == now.astimezone(tz).date()

    def _mailer(self) -> Mailer:
        if self.mailer is None:
            raise RuntimeError("DigestService needs a mailer to send")
        return self.mailer

    def resend_pending(self) -> Outcome | None:
        """Send an interrupted digest again (same bytes, same Message-ID) and mark it sent."""
        with session_scope(self.sessions) as session:
            row = digests.pending(session, self.key)
            if row is None:
                return None
            digests.note_retry(session, row.id)
            row_id, message, subject = row.id, row.message, row.subject
            message_id, stories = row.message_id, row.story_count
        logger.warning(
            "digest #%d (%s) was recorded but its delivery never confirmed; sending the same "
            "message again with Message-ID %s",
            row_id,
            subject,
            message_id,
        )
        try:
            self._mailer().send(message, sender=self.options.sender, recipients=self.recipients)
        except DeliveryError as exc:
            # Still unknown whether the first attempt arrived: keep it pending, never replace it.
            with session_scope(self.sessions) as session:
                digests.mark_pending_error(session, row_id, str(exc))
            raise
        with session_scope(self.sessions) as session:
            digests.mark_sent(session, row_id, self.clock())
        return Outcome("resent", subject, stories, row_id, message_id)

    def send_new(self, *, allow_empty: bool | None = None) -> Outcome:
        """Build, record, send and settle a new digest."""
        allow_empty = self.options.send_empty if allow_empty is None else allow_empty
        now = self.clock()
        with session_scope(self.sessions) as session:
            prepared = self.prepare(session, now)
            if prepared.content.empty and not allow_empty:
                logger.info("nothing new since the last digest; not sending (send_empty=false)")
                return Outcome("skipped", prepared.subject, 0)
            if prepared.content.empty and self._quiet_day_noted(session, now):
                logger.info("nothing new, and today's 'nothing new' note was sent already")
                return Outcome("skipped", prepared.subject, 0)
            message_id = str(prepared.message["Message-ID"])
            body = prepared.message.as_bytes(policy=SMTP)
            digest_id = digests.record_attempt(
                session,
                key=self.key,
                recipients=self.recipients,
                message_id=message_id,
                subject=prepared.subject,
                message=body,
                story_count=prepared.content.story_count,
                items=prepared.content.items,
                now=now,
            )
        try:
            self._mailer().send(body, sender=self.options.sender, recipients=self.recipients)
        except DeliveryUncertainError as exc:
            # The server may have it: keep the row ``sending``, as after a crash, so that the
            # next run sends these same bytes again rather than a new digest over its stories.
            with session_scope(self.sessions) as session:
                digests.mark_pending_error(session, digest_id, str(exc))
            note = (
                f"{exc}; digest #{digest_id} stays pending and the next run sends the same "
                f"message again (Message-ID {message_id})"
            )
            logger.error("%s", note)
            raise DeliveryUncertainError(note) from exc
        except DeliveryError as exc:
            with session_scope(self.sessions) as session:
                digests.mark_failed(session, digest_id, str(exc))
            logger.error("digest #%d not delivered: %s", digest_id, exc)
            raise
        with session_scope(self.sessions) as session:
            digests.mark_sent(session, digest_id, self.clock())
        logger.info(
            "digest #%d sent: %s (%d articles)",
            digest_id,
            prepared.subject,
            len(prepared.content.items),
        )
        return Outcome(
            "sent", prepared.subject, prepared.content.story_count, digest_id, message_id
        )

    def run(self) -> list[Outcome]:
        """Settle an interrupted digest if there is one, then send the new digest.

        Right after a resend an empty "nothing new" note is not sent.
        """
        outcomes: list[Outcome] = []
        resent = self.resend_pending()
        if resent is not None:
            outcomes.append(resent)
        outcomes.append(self.send_new(allow_empty=False if resent else None))
        return outcomes

    def dry_run(self, out_dir: Path) -> Outcome:
        """Write the digest that would be sent now to ``out_dir`` as .eml; mark nothing."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            prepared = self.prepare(session, now)
            session.rollback()
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"digest-{now.strftime('%Y%m%d-%H%M%S')}.eml"
        path.write_bytes(prepared.message.as_bytes(policy=SMTP))
        return Outcome(
            "dry-run",
            prepared.subject,
            prepared.content.story_count,
            message_id=str(prepared.message["Message-ID"]),
            eml_path=path,
            text=prepared.text,
        )
