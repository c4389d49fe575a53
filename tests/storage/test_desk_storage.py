"""The review desk's storage side on both backends: a label is the article's relevance
(its score stays, counters follow, a rescore keeps it, undo restores), full-text search
with filters in English and Russian, and the inbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from storage.articles import insert_article
from storage.inbox import inbox, story
from storage.labels import ScoreUpdate, add_label, count_relevant, undo_label, update_scores
from storage.models import Article
from storage.search import SearchFilters, search
from tests.storage.conftest import T0, RecordFactory


def _fill(sessions: sessionmaker[Session], make_record: RecordFactory) -> dict[str, int]:
    ids: dict[str, int] = {}
    with sessions.begin() as s:
        for key, title, text, score, lang, source in [
            ("coup", "Generals plot a coup", "A coup against Putin was discussed.", 0.9, "en", "a"),
            ("ru", "Кремль и элиты", "Путин готовит чистку элиты в Кремле.", 0.8, "ru", "b"),
            ("garden", "Gardening", "Plant tulips in autumn.", 0.1, "en", "a"),
        ]:  # fmt: skip
            ids[key], _ = insert_article(
                s,
                make_record(
                    f"https://{source}.example/{key}", title=title, text=text,
                    relevance_score=score, relevant=score >= 0.5, language=lang, source=source,
                    text_hash=key.ljust(64, "0"),
                ),
            )  # fmt: skip
    return ids


def test_a_label_is_the_relevance_and_undo_restores_it(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    ids = _fill(sessions, make_record)
    with sessions.begin() as s:
        assert count_relevant(s) == 2
        label_id = add_label(s, ids["coup"], False, "ann")
    with sessions.begin() as s:
        a = s.get(Article, ids["coup"])
        assert a is not None
        assert (a.relevant, a.label, a.labelled_by, a.relevance_score) == (False, False, "ann", 0.9)
        assert count_relevant(s) == 1
        # A rescore keeps the reviewer's verdict (and moves the score).
        update_scores(s, [ScoreUpdate(ids["coup"], 0.95, True, {}, "m2")])
    with sessions.begin() as s:
        a = s.get(Article, ids["coup"])
        assert a is not None and (a.relevant, a.relevance_score) == (False, 0.95)
        assert count_relevant(s) == 1
        undone = undo_label(s, label_id, threshold=0.5)
        assert undone is not None and undone.relevant is True and undone.label is None
        assert count_relevant(s) == 2
        since = T0 - dt.timedelta(days=7)
        assert [i.id for i in inbox(s, since)] == [ids["coup"], ids["ru"]]
        add_label(s, ids["ru"], True, "bob")
        assert [i.id for i in inbox(s, since)] == [ids["coup"]]
        found = story(s, ids["ru"])
        assert found is not None and [x.reviewer for x in found.labels] == ["bob"]


def test_full_text_search_with_filters(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    ids = _fill(sessions, make_record)
    with sessions() as s:

        def found(**kw: object) -> list[int]:
            return [a.id for a in search(s, SearchFilters(**kw)).results]  # type: ignore[arg-type]

        assert found(q="coup") == [ids["coup"]]
        assert found(q="coups") == [ids["coup"]]  # stemmed
        assert found(q="Кремль") == [ids["ru"]]
        assert found(q="путин", language="ru") == [ids["ru"]]
        assert found(q="generals", sort="score") == [ids["coup"]]
        assert found(source="a", sort="date", relevant=False) == [ids["garden"]]
        assert found(score_min=0.5, score_max=0.85) == [ids["ru"]]
        assert found(q='") OR * NEAR(') == []  # user input is words, never query syntax
        assert found(label="none", q="coup") == [ids["coup"]]
    # The index follows an edited title (a trigger on SQLite, the expression on PostgreSQL).
    with sessions.begin() as w:
        garden = w.get(Article, ids["garden"])
        assert garden is not None
        garden.title = "Gardening after the coup"
    with sessions() as s:
        hits = {a.id for a in search(s, SearchFilters(q="coup")).results}
        assert hits == {ids["garden"], ids["coup"]}


def test_search_can_use_the_full_text_index(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    """The words' condition is the indexed expression (GIN on PostgreSQL, FTS5 on SQLite)."""
    from sqlalchemy import text

    from storage.search import search_query

    _fill(sessions, make_record)
    with sessions() as s:
        dialect = s.get_bind().dialect.name
        stmt = search_query(dialect, SearchFilters(q="coup", source="a"))
        compiled = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        if dialect == "postgresql":
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(r[0] for r in s.execute(text(f"EXPLAIN {compiled}")))
            assert "ix_articles_fts" in plan, plan
        else:
            plan = "\n".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "VIRTUAL TABLE INDEX" in plan and "SCAN articles\n" not in plan + "\n", plan


def test_upgrading_a_0004_archive_indexes_it_and_carries_its_labels(
    db_url: str, make_record: RecordFactory
) -> None:
    from sqlalchemy import text

    from storage.engine import make_engine, make_session_factory
    from storage.migrate import upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO articles (id, url, canonical_url, source, title, fetched_at, "
                    "text, text_hash, relevance_score, relevant) VALUES (1, 'https://a.example/1',"
                    " 'https://a.example/1', 'a', 'Mutiny in the ranks', :t, 'Soldiers mutiny.',"
                    " 'h', 0.9, true)"
                ),
                {"t": T0.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO source_totals (source, articles, relevant, duplicates) "
                    "VALUES ('a', 1, 1, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO labels (article_id, relevant, reviewer, created_at) "
                    "VALUES (1, false, 'ann', :t)"
                ),
                {"t": T0.replace(tzinfo=None)},
            )
        upgrade(engine)
        with make_session_factory(engine)() as s:
            a = s.get(Article, 1)
            assert a is not None and (a.label, a.labelled_by, a.relevant) == (False, "ann", False)
            assert count_relevant(s) == 0
            assert [x.id for x in search(s, SearchFilters(q="mutiny")).results] == [1]
    finally:
        engine.dispose()


def test_word_search_with_every_filter_and_sort_agrees_with_reading_every_article(
    sessions: sessionmaker[Session], make_record: RecordFactory
) -> None:
    """The word search narrows the matches by id range and index before reading rows (SQLite);
    whatever the filters, sort and page, it finds what a reading of every article finds."""
    words = ("coup", "purge", "tulips")
    with sessions.begin() as s:
        for n in range(60):
            insert_article(
                s,
                make_record(
                    f"https://s{n % 3}.example/{n}",
                    title=f"Report {n}",
                    text=f"Report {n} on the {words[n % 3]} and the {words[(n // 3) % 3]}.",
                    fetched_at=T0 - dt.timedelta(days=60 - n),
                    relevance_score=(n * 37 % 100) / 100,
                    relevant=(n * 37 % 100) >= 50,
                    source=f"s{n % 3}",
                    text_hash=str(n).ljust(64, "0"),
                ),
            )
    with sessions() as s:
        every = list(s.query(Article))
        cases = [
            SearchFilters(q="coup"),
            SearchFilters(q="coup", relevant=True, fetched_from=T0 - dt.timedelta(days=30)),
            SearchFilters(q="purge", fetched_to=T0 - dt.timedelta(days=20), sort="date"),
            SearchFilters(
                q="tulips",
                fetched_from=T0 - dt.timedelta(days=50),
                fetched_to=T0 - dt.timedelta(days=10),
                source="s1",
                sort="score",
            ),
            SearchFilters(q="coup purge", relevant=False, score_min=0.2, per_page=3, page=2),
            SearchFilters(q="coup", fetched_from=T0 + dt.timedelta(days=1)),  # nothing that new
        ]
        for f in cases:
            expected = [
                a
                for a in every
                if all(w in a.text.lower() for w in f.words)
                and (f.relevant is None or a.relevant is f.relevant)
                and (f.fetched_from is None or a.fetched_at >= f.fetched_from)
                and (f.fetched_to is None or a.fetched_at < f.fetched_to)
                and (f.source is None or a.source == f.source)
                and (f.score_min is None or a.relevance_score >= f.score_min)
            ]
            pages, page = [], 1
            while True:
                got = search(s, SearchFilters(**{**f.__dict__, "page": page}))
                pages.extend(a.id for a in got.results)
                if not got.has_more:
                    break
                page += 1
            assert sorted(pages) == sorted(a.id for a in expected), f
            assert len(set(pages)) == len(pages), f  # no article on two pages
            if f.sort == "date":
                assert pages == [
                    a.id for a in sorted(expected, key=lambda a: (a.fetched_at, a.id), reverse=True)
                ]
            if f.sort == "score":
                assert pages == [
                    a.id
                    for a in sorted(expected, key=lambda a: (a.relevance_score, a.id), reverse=True)
                ]
