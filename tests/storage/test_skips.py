"""Skip reasons stored per source and run, on SQLite and PostgreSQL, and the filter flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.records import SourceCounts
from storage.runs import finish_run, start_run
from storage.skips import describe, skip_reports


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield make_session_factory(engine, write=True)
    engine.dispose()


def crawl(sessions: sessionmaker[Session], counts: dict[str, SourceCounts]) -> None:
    with session_scope(sessions) as s:
        run = start_run(s, list(counts), pid=1)
        finish_run(s, run, "ok", {}, counts)


OLD = SourceCounts(discovered=50, skipped={"old": 50, "age_days": 7})
QUIET = SourceCounts(discovered=20, skipped={"known": 20})
NOT_MODIFIED = SourceCounts(not_modified=1)


def test_a_source_held_back_by_a_filter_for_three_runs_is_flagged(
    sessions: sessionmaker[Session],
) -> None:
    crawl(sessions, {"old-feed": OLD, "quiet": QUIET})
    crawl(sessions, {"old-feed": NOT_MODIFIED, "quiet": QUIET})  # a 304 neither starts nor breaks
    crawl(sessions, {"old-feed": OLD, "quiet": QUIET})
    with session_scope(sessions) as s:
        early = skip_reports(s, ["old-feed", "quiet"])
    assert early["old-feed"].filtered_runs == 2 and not early["old-feed"].flagged
    assert early["old-feed"].summary == "50 older than 7 days"
    # Everything already stored is a quiet source, not a filtered one.
    assert early["quiet"].filtered_runs == 0 and early["quiet"].summary == "20 already stored"

    crawl(sessions, {"old-feed": OLD, "quiet": QUIET})
    with session_scope(sessions) as s:
        late = skip_reports(s, ["old-feed"])
    assert late["old-feed"].flagged and late["old-feed"].filtered_runs == 3

    # One run that brings something new ends the streak.
    crawl(sessions, {"old-feed": SourceCounts(discovered=51, new=1, skipped={"old": 50})})
    with session_scope(sessions) as s:
        assert skip_reports(s, ["old-feed"])["old-feed"].filtered_runs == 0


def test_describe_words_and_order() -> None:
    assert describe({"not_article": 160, "offsite": 3, "known": 36}) == (
        "160 not article-like (no allow patterns: the article-link heuristic decides), "
        "36 already stored, 3 on another site"
    )
    assert describe({"old": 1, "age_days": 1}) == "1 older than 1 day"
    assert describe({}) == ""
