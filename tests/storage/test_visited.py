"""visited_urls: fetched URLs that gave no article, remembered across crawls (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_scope
from storage.known import VISITED, known_keys
from storage.models import VisitedUrl
from storage.visited import Visit, forget_visit, record_visits

URLS = ["http://a.test/empty.html", "http://a.test/gone.html", "http://a.test/new.html"]

T0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=1)


def test_record_is_idempotent_and_keeps_first_seen(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        record_visits(
            s,
            [
                Visit("http://a.test/empty.html", "no_text", 200, "a", T0),
                Visit("http://a.test/gone.html", "not_found", 404, "a", T0),
            ],
        )
    with session_scope(sessions) as s:  # seen again an hour later, now a 410
        record_visits(s, [Visit("http://a.test/gone.html", "not_found", 410, "a", T1)])
    with session_scope(sessions) as s:
        assert known_keys(s, URLS) == {u: VISITED for u in URLS[:2]}
        gone = s.scalars(select(VisitedUrl).where(VisitedUrl.url.endswith("gone.html"))).one()
        assert (gone.status, gone.first_seen, gone.last_seen) == (410, T0, T1)
        forget_visit(s, "http://a.test/gone.html")
    with session_scope(sessions) as s:
        assert known_keys(s, URLS) == {URLS[0]: VISITED}


def test_unknown_reason_is_refused(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s, pytest.raises(ValueError, match="unknown visit reason"):
        record_visits(s, [Visit("http://a.test/x", "server_error", 500)])
