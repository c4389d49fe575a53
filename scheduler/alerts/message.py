"""What an alert says: one story in a few lines, as an email and as a webhook payload."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime


@dataclass(frozen=True)
class AlertStory:
    title: str
    publication: str
    url: str
    reason: str  # "about succession; names: Putin" / "watch-list: governors"
    score: float | None


def summary_lines(story: AlertStory) -> list[str]:
    lines = [story.title, f"{story.publication} | {story.url}"]
    if story.reason:
        lines.append(f"Why: {story.reason}")
    return lines


def email_bytes(
    story: AlertStory,
    *,
    prefix: str,
    sender: str,
    recipients: tuple[str, ...],
    message_id: str,
    date: dt.datetime,
) -> bytes:
    """A short plain-text email: the headline in the subject, the link and the reason."""
    msg = EmailMessage(policy=SMTP)
    title = " ".join(story.title.split())
    msg["Subject"] = f"{prefix} alert: {title}"[:250]
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    body = "\n".join(summary_lines(story)) + "\n\n-- \nnewsmon immediate alert\n"
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(policy=SMTP)


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn: &, < and > are control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(story: AlertStory, *, key: str) -> bytes:
    """Slack-compatible JSON: ``text`` (with a link), plus the story's fields for others."""
    link = f"<{story.url}|{_slack_escape(story.title)}>"
    text = f"*{link}* ({_slack_escape(story.publication)})"
    if story.reason:
        text += f"\n{_slack_escape(story.reason)}"
    data = {
        "text": text,
        "newsmon": {
            "id": key,
            "title": story.title,
            "publication": story.publication,
            "url": story.url,
            "reason": story.reason,
            "score": story.score,
        },
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
