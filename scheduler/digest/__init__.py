"""The daily digest: select undelivered stories, render them, send exactly once.

content.py   what the digest says (stories grouped by cluster, counts, source health)
render.py    Jinja2 templates -> text and HTML bodies
message.py   the multipart/alternative email message
service.py   record -> send -> mark (the exactly-once protocol)
"""

from __future__ import annotations

from scheduler.digest.content import DigestContent, Mention, Story, select_content
from scheduler.digest.service import DigestService, Outcome

__all__ = ["DigestContent", "DigestService", "Mention", "Outcome", "Story", "select_content"]
