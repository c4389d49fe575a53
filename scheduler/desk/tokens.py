"""The desk's signing secret and the digest's one-click links (no web framework imported:
the digest command uses this).

A link's token is signed with the secret kept in the archive (``archive_meta.desk_secret``),
names one article and one action (``r`` relevant, ``x`` not relevant, ``o`` open), and
expires after ``ui.link_days``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker

from storage.models import ArchiveMeta

SECRET_NAME = "desk_secret"
SALT = "newsmon-digest-link"
ACTIONS: dict[str, bool | None] = {"r": True, "x": False, "o": None}


def desk_secret(write_sessions: sessionmaker[Session]) -> str:
    """The archive's signing secret for CSRF and digest links, made once and kept in the
    database (so links in mailed digests stay valid across restarts)."""
    with write_sessions.begin() as session:
        row = session.get(ArchiveMeta, SECRET_NAME)
        if row is None:
            row = ArchiveMeta(name=SECRET_NAME, value=secrets.token_urlsafe(32))
            session.add(row)
        return row.value


def link_token(secret: str, article_id: int, action: str) -> str:
    """The signed token of one action on one article."""
    if action not in ACTIONS:
        raise ValueError(f"unknown link action {action!r}")
    return str(URLSafeTimedSerializer(secret, salt=SALT).dumps([article_id, action]))


def link_url(base_url: str, secret: str, article_id: int, action: str) -> str:
    return f"{base_url.rstrip('/')}/l/{link_token(secret, article_id, action)}"


def review_links(base_url: str, secret: str) -> Callable[[int], dict[str, str]]:
    """For the digest: article id -> {"r": url, "x": url, "o": url}."""

    def links(article_id: int) -> dict[str, str]:
        return {a: link_url(base_url, secret, article_id, a) for a in ACTIONS}

    return links
