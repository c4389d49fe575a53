"""Storing articles: idempotent on url, clusters, raw pages, known URLs, streaming reads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import storage.articles as articles_mod
from storage.articles import insert_article, iter_articles, raw_body
from storage.engine import session_scope
from storage.known import STORED, known_keys
from storage.models import Article, RawPage
from tests.storage.conftest import T0, RecordFactory


def _count(sessions: sessionmaker[Session]) -> int:
    with session_scope(sessions) as s:
        return int(s.scalar(select(func.count(Article.id))) or 0)


def test_same_article_twice_is_stored_once(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    rec = make_record("https://news.example/a1", raw_body=b"<html>a1</html>")
    with session_scope(sessions) as s:
        first_id, inserted = insert_article(s, rec)
    assert inserted
    # A rerun after a crash offers the same article again, in a new transaction.
    with session_scope(sessions) as s:
        again_id, inserted_again = insert_article(s, rec)
    assert (again_id, inserted_again) == (first_id, False)
    assert _count(sessions) == 1
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(RawPage)) == 1


def test_original_gets_its_own_cluster_and_copies_join_it(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    with session_scope(sessions) as s:
        orig_id, _ = insert_article(s, make_record("https://a.example/story"))
        # Copy that names only its original: it must join the original's cluster.
        copy_id, _ = insert_article(
            s, make_record("https://b.example/copy", duplicate_of=orig_id, duplicate_kind="near")
        )
    with session_scope(sessions) as s:
        orig = s.get_one(Article, orig_id)
        copy = s.get_one(Article, copy_id)
        assert orig.cluster_id == orig_id and orig.duplicate_of is None
        assert copy.cluster_id == orig_id and copy.duplicate_of == orig_id
        assert copy.duplicate_kind == "near"


def test_fields_round_trip_with_aware_utc_dates(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    moscow = dt.timezone(dt.timedelta(hours=3))
    rec = make_record(
        "https://ru.example/статья",
        text="Кремль: «перестановки» в правительстве.\nВторой абзац.",
        published_at=dt.datetime(2026, 5, 1, 12, 30, tzinfo=moscow),
        minhash=b"\x01\x02\x03",
        raw_body="<html>Кремль</html>".encode("cp1251"),
        encoding="windows-1251",
        content_type="text/html",
    )
    with session_scope(sessions) as s:
        art_id, _ = insert_article(s, rec)
    with session_scope(sessions) as s:
        art = s.get_one(Article, art_id)
        assert art.text == rec.text
        assert art.published_at == dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)
        assert art.fetched_at == T0
        assert art.minhash == b"\x01\x02\x03"
        assert art.why == rec.why
        assert raw_body(s, art_id) == rec.raw_body
        page = s.get_one(RawPage, art_id)
        assert page.encoding == "windows-1251"
        assert len(page.body_gz) > 0 and page.body_gz != rec.raw_body  # compressed


def test_concurrent_reinserts_store_each_url_once(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    urls = [f"https://news.example/c{i}" for i in range(15)]
    inserted_by: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            start.wait()
            for url in urls if n % 2 else reversed(urls):
                with session_scope(sessions) as s:
                    _, inserted = insert_article(s, make_record(url))
                if inserted:
                    inserted_by[n].append(url)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(u for got in inserted_by for u in got) == sorted(urls)
    assert _count(sessions) == len(urls)


def test_stored_url_keys_include_canonical_urls(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    with session_scope(sessions) as s:
        insert_article(
            s,
            make_record(
                "https://news.example/a?utm_source=x", canonical_url="https://news.example/a"
            ),
        )
        insert_article(
            s,
            make_record("https://news.example/b?id=2", canonical_url="https://news.example/b2"),
        )
    with session_scope(sessions) as s:
        asked = [
            "https://news.example/a",  # the tracking parameter is not part of the key
            "https://news.example/b?id=2",
            "https://news.example/b2",
            "https://news.example/c",
        ]
        assert known_keys(s, asked) == {k: STORED for k in asked[:3]}


def test_iter_articles_streams_in_id_order_with_filters(
    sessions: sessionmaker[Session], make_record: RecordFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(articles_mod, "STREAM_BATCH", 7)
    n = 40  # several round trips of 7 rows
    with session_scope(sessions) as s:
        for i in range(n):
            insert_article(
                s,
                make_record(
                    f"https://news.example/{i}",
                    fetched_at=T0 + dt.timedelta(minutes=i),
                    relevant=(i % 3 == 0),
                ),
            )
    with session_scope(sessions) as s:
        ids = [a.id for a in iter_articles(s)]
        assert len(ids) == n and ids == sorted(ids)
        since = T0 + dt.timedelta(minutes=n - 10)
        recent = [a.url for a in iter_articles(s, since=since)]
        assert recent == [f"https://news.example/{i}" for i in range(n - 10, n)]
        # A naive `since` means UTC.
        assert len(list(iter_articles(s, since=since.replace(tzinfo=None)))) == 10
        relevant = list(iter_articles(s, relevant_only=True))
        assert len(relevant) == len(range(0, n, 3))
        assert all(a.relevant for a in relevant)
        both = list(iter_articles(s, since=since, relevant_only=True))
        assert [a.url for a in both] == [
            f"https://news.example/{i}" for i in range(n - 10, n) if i % 3 == 0
        ]


def test_idempotent_insert_without_returning_support(
    sessions: sessionmaker[Session], make_record: RecordFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite before 3.35 (Debian 11's) has ON CONFLICT but no RETURNING.
    dialect = sessions.kw["bind"].dialect
    if dialect.name != "sqlite":
        pytest.skip("only SQLite lacks RETURNING in some versions")
    monkeypatch.setattr(dialect, "insert_returning", False)
    rec = make_record("https://news.example/old-sqlite")
    with session_scope(sessions) as s:
        first_id, inserted = insert_article(s, rec)
        assert inserted
        assert insert_article(s, rec) == (first_id, False)
        assert s.get_one(Article, first_id).cluster_id == first_id
    assert _count(sessions) == 1
