"""Turn rendered digest bodies into one multipart/alternative email message."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from scheduler.digest.content import DigestContent
from scheduler.digest.render import Rendered

SUBJECT_HEADLINE_CHARS = 90


def subject_for(content: DigestContent, *, prefix: str, timezone: str, topic: str = "") -> str:
    """``<prefix> <topic> 2026-11-21: 3 new stories: <top headline>`` (local date)."""
    day = content.generated_at.astimezone(ZoneInfo(timezone)).date().isoformat()
    head = " ".join(p for p in (prefix, topic.strip(), "digest") if p)
    n = content.story_count
    if n == 0:
        return f"{head} {day}: nothing new"
    subject = f"{head} {day}: {n} new stor{'y' if n == 1 else 'ies'}"
    top = " ".join(content.stories[0].title.split()) if content.stories else ""
    if len(top) > SUBJECT_HEADLINE_CHARS:
        top = top[:SUBJECT_HEADLINE_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{subject}: {top}" if top else subject


def new_message_id(sender: str) -> str:
    """A fresh globally unique Message-ID in the sender's domain."""
    # Kept short (no pid or timestamp parts) so the header is not folded on common domains.
    domain = sender.rpartition("@")[2].strip("<> ") or "localhost"
    return f"<newsmon.{uuid.uuid4().hex}@{domain}>"


def _unsubscribe_header(value: str) -> str:
    # RFC 2369: a comma-separated list of <URI>; accept a bare URI or address from the config.
    parts = [p.strip() for p in value.split(",") if p.strip()]
    out = []
    for p in parts:
        if p.startswith("<"):
            out.append(p)
        elif "@" in p and ":" not in p:
            out.append(f"<mailto:{p}>")
        else:
            out.append(f"<{p}>")
    return ", ".join(out)


def build_message(
    rendered: Rendered,
    *,
    subject: str,
    sender: str,
    recipients: Sequence[str],
    message_id: str,
    date: dt.datetime,
    list_unsubscribe: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, HTML last (preferred)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    if list_unsubscribe:
        msg["List-Unsubscribe"] = _unsubscribe_header(list_unsubscribe)
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg
