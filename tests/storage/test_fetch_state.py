"""Conditional-GET validators survive between runs and a 304 does not erase them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from storage.engine import session_scope
from storage.fetch_state import get_validators, save_validators

FEED = "https://news.example/feeds/rss.xml"


def test_unknown_url_has_no_validators(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        assert get_validators(s, FEED) == (None, None)


def test_validators_are_saved_updated_and_kept_on_304(sessions: sessionmaker[Session]) -> None:
    lm = "Fri, 01 May 2026 08:00:00 GMT"
    with session_scope(sessions) as s:
        save_validators(s, FEED, "example", '"v1"', lm, 200)
    with session_scope(sessions) as s:
        assert get_validators(s, FEED) == ('"v1"', lm)
        # A 304 usually carries no validators: the stored ones still describe our copy.
        save_validators(s, FEED, "example", None, None, 304)
    with session_scope(sessions) as s:
        assert get_validators(s, FEED) == ('"v1"', lm)
        save_validators(s, FEED, "example", '"v2"', None, 200)
    with session_scope(sessions) as s:
        # A fresh 200 replaces both: the server no longer sends Last-Modified.
        assert get_validators(s, FEED) == ('"v2"', None)
        assert get_validators(s, FEED + "?other") == (None, None)
