"""Every query a crawl, the digest, ``stats``, ``export --since``, rescore's counting and
housekeeping run against the archive has an index path: none reads a whole big table.

The SQL is not written out here: the real storage functions run against a filled archive
(a few hundred articles with their URL keys, band keys and raw pages, visited URLs, crawl
runs, sent digests) while a ``before_cursor_execute`` listener records each statement with
its parameters; then each one is explained with those parameters, after ``ANALYZE``:

- SQLite: ``EXPLAIN QUERY PLAN`` must show no ``SCAN`` of a big table (``SCAN ... USING
  [COVERING] INDEX`` walks a whole index: a full scan too);
- PostgreSQL: with ``enable_seqscan = off`` (so that a tiny table's cheap sequential scan
  does not hide a missing index: the planner falls back to one only when no index path
  exists), ``EXPLAIN`` must show no ``Seq Scan`` on a big table.

Two SQLite plan lines are not full reads: a ``SCAN`` in the plan of an ``INSERT ... VALUES``
(the foreign-key child lookups SQLite compiles into it, run only to resolve pending
violations), and the ``SCAN`` of ``SELECT ... ORDER BY <index order> LIMIT n`` with no
``WHERE`` (``recent_runs``: n rows off one end of the primary key). The inputs are a crawl's
(a feed's worth of links, one article): against a few hundred rows a lookup of hundreds of
keys is rightly answered by a scan. ``sources``, ``source_totals`` and ``digests`` are small
by nature (a row per source or per digest) and may be read whole.

Out of scope, whole-archive by nature: ``export`` without ``--since`` (every article, in id
order), rescore's ``article_batches`` walk (rescoring is every article), the 0004 backfill
itself (``storage/backfill.py``: its keyset batches and its one ``GROUP BY source`` pass),
``review_queue`` (orders every scored original by distance to the threshold),
``latest_labels`` (training reads every label) and ``housekeeping.maintain`` (ANALYZE).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session, sessionmaker

from scheduler.digest.content import select_content
from storage import alerts, digests, housekeeping, queries
from storage.articles import insert_article, iter_articles
from storage.dedup import DedupDecision, DedupIndex, lock_archive
from storage.engine import make_session_factory, session_scope
from storage.known import known_keys
from storage.labels import ScoreUpdate, count_relevant, update_scores
from storage.models import CrawlRun, CrawlRunSource
from storage.records import SourceCounts
from storage.runs import finish_run, mark_stale_runs, register_source, start_run
from storage.urlkey import url_key
from storage.visited import Visit, record_visits
from tests.storage.conftest import T0, RecordFactory
from tests.storage.test_dedup import edit, prose

BIG_TABLES = frozenset(
    {
        "articles",
        "url_keys",
        "dedup_bands",
        "visited_urls",
        "digest_items",
        "raw_pages",
        "crawl_runs",
        "crawl_run_sources",
        "alerts",
    }
)
SOURCES = [f"source-{i}" for i in range(12)]
RECIPIENTS = ["desk@example.org"]
KEY = digests.recipients_key(RECIPIENTS)
NOW = T0 + dt.timedelta(days=1)
ORIGINALS = 300
COPIES = 30  # exact copies, and as many near copies
RUNS = 200


@dataclass(frozen=True)
class Executed:
    """One statement sent to the database, with what sent it."""

    operation: str
    sql: str
    params: Any


class Recorder:
    """Records the statements executed on ``engine`` inside :meth:`during`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.executed: list[Executed] = []
        self.operations: list[str] = []
        self._operation: str | None = None
        event.listen(engine, "before_cursor_execute", self._record)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self._operation is None:
            return
        if executemany:
            parameters = parameters[0] if parameters else None
        self.executed.append(Executed(self._operation, statement, parameters))

    @contextmanager
    def during(self, operation: str) -> Iterator[None]:
        self._operation = operation
        self.operations.append(operation)
        try:
            yield
        finally:
            self._operation = None


# ---------------------------------------------------------------------------------------------
# The archive


def store(
    sessions: sessionmaker[Session],
    make_record: RecordFactory,
    index: DedupIndex,
    url: str,
    body: str,
    **fields: Any,
) -> tuple[int, DedupDecision]:
    """The crawl's store stage for one article: check and insert in one transaction."""
    canonical = fields.pop("canonical_url", url)
    with session_scope(sessions) as s:
        lock_archive(s)
        decision = index.check(s, url_key(canonical), body)
        rec = make_record(
            url,
            canonical_url=canonical,
            text=body,
            text_hash=decision.text_hash,
            minhash=decision.minhash,
            duplicate_of=decision.duplicate_of,
            duplicate_kind=decision.kind,
            cluster_id=decision.cluster_id,
            band_keys=index.band_keys(decision.minhash),
            raw_body=f"<html><body>{body[:200]}</body></html>".encode(),
            **fields,
        )
        art_id, _ = insert_article(s, rec)
    return art_id, decision


def fill(engine: Engine, make_record: RecordFactory, index: DedupIndex) -> list[int]:
    """A year of articles from a dozen sources, with exact and near copies, visited URLs,
    crawl runs and sent digests; returns the ids of the originals."""
    sessions = make_session_factory(engine, write=True)
    originals: list[int] = []
    for n in range(ORIGINALS):
        fetched = T0 - dt.timedelta(hours=29 * (ORIGINALS - n))
        url = f"https://{SOURCES[n % 12]}.example/news/{n}?utm_source=feed"
        fields: dict[str, Any] = {
            "source": SOURCES[n % 12],
            "fetched_at": fetched,
            "relevant": n % 3 == 0,
            "relevance_score": (n % 10) / 10,
        }
        if n % 10 == 0:
            fields["canonical_url"] = f"https://www.{SOURCES[n % 12]}.example/story/{n}"
        art_id, _ = store(sessions, make_record, index, url, prose(n, 300), **fields)
        originals.append(art_id)
    for n in range(COPIES):
        seed = n * 7
        at = T0 - dt.timedelta(hours=29 * (ORIGINALS - seed) - 5)
        for kind, body in (("exact", prose(seed, 300)), ("near", edit(prose(seed, 300), 100, n))):
            _, d = store(
                sessions,
                make_record,
                index,
                f"https://copies-{n % 5}.example/{kind}/{n}",
                body,
                source=f"copies-{n % 5}",
                fetched_at=at,
                relevant=seed % 3 == 0,
            )
            assert d.kind == kind, (kind, n, d)
    with session_scope(sessions) as s:
        record_visits(
            s,
            [
                Visit(f"https://{SOURCES[n % 12]}.example/empty/{n}", "no_text", 200, None, T0)
                for n in range(300)
            ],
        )
        for name in SOURCES:
            register_source(s, name, f"https://{name}.example/feed.xml", "feed")
    with engine.begin() as conn:
        for r in range(RUNS):
            started = T0 - dt.timedelta(hours=44 * (RUNS - r))
            run_id = conn.execute(
                insert(CrawlRun).returning(CrawlRun.id),
                {
                    "started_at": started,
                    "finished_at": started + dt.timedelta(minutes=3),
                    "status": "ok" if r % 17 else "partial",
                    "sources": SOURCES,
                    "stats": {"host": "test"},
                    "pid": 1,
                },
            ).scalar_one()
            conn.execute(
                insert(CrawlRunSource),
                [
                    {"run_id": run_id, "source": name, "discovered": 5, "fetched": 2, "new": 1}
                    for name in SOURCES
                ],
            )
    relevant = originals[::3]
    for k in range(8):
        with session_scope(sessions) as s:
            sent_at = T0 - dt.timedelta(days=40 * (8 - k))
            items = [(a, a) for a in relevant[k * 10 : k * 10 + 10]]
            digest_id = digests.record_attempt(
                s,
                key=KEY,
                recipients=RECIPIENTS,
                message_id=f"<d{k}@example.org>",
                subject=f"digest {k}",
                message=b"...",
                story_count=len(items),
                items=items,
                now=sent_at,
            )
            digests.mark_sent(s, digest_id, sent_at)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return originals


# ---------------------------------------------------------------------------------------------
# What runs against it


def run_workloads(
    engine: Engine, make_record: RecordFactory, index: DedupIndex, originals: list[int]
) -> Recorder:
    """Every indexed operation, recorded; the archive changes as a crawl would change it."""
    rec = Recorder(engine)
    writes = make_session_factory(engine, write=True)
    reads = make_session_factory(engine)
    since = T0 - dt.timedelta(days=3)

    def op(name: str, fn: Callable[[Session], object], *, write: bool = False) -> None:
        with rec.during(name), session_scope(writes if write else reads) as s:
            fn(s)

    # A crawl: stale runs, sources, the run row; known URLs per listing; check and store.
    op("runs.mark_stale_runs", mark_stale_runs, write=True)
    op(
        "runs.register_source",
        lambda s: register_source(s, SOURCES[0], "https://x/", "feed"),
        write=True,
    )
    run_id: list[int] = []
    op("runs.start_run", lambda s: run_id.append(start_run(s, SOURCES, 1)), write=True)
    # A feed's worth of links: stored ones (as listed, with tracking parameters), ones fetched
    # before without an article, new ones. (A batch of hundreds against this small archive
    # is cheaper to answer by a scan, and SQLite rightly plans one.)
    listing = [
        url_key(f"https://{SOURCES[n % 12]}.example/news/{n}?utm_source=x") for n in range(40)
    ]
    listing += [f"https://{SOURCES[n % 12]}.example/empty/{n}" for n in range(10)]
    listing += [f"https://{SOURCES[n % 12]}.example/news/new-{n}" for n in range(10)]
    op("known.known_keys", lambda s: known_keys(s, listing))
    op(
        "visited.record_visits",
        lambda s: record_visits(s, [Visit("https://a.example/gone", "not_found", 404, "a", NOW)]),
        write=True,
    )
    with rec.during("store: an original"):
        store(writes, make_record, index, "https://new.example/1", prose(9001, 300), fetched_at=NOW)
    with rec.during("store: a URL duplicate (canonical URL stored)"):
        _, d = store(
            writes,
            make_record,
            index,
            "https://mirror.example/x",
            prose(9002, 300),
            canonical_url=f"https://{SOURCES[5]}.example/news/5?utm_medium=rss",
            fetched_at=NOW,
        )
        assert d.kind == "url"
    with rec.during("store: an exact duplicate"):
        _, d = store(writes, make_record, index, "https://e.example/1", prose(14, 300))
        assert d.kind == "exact"
    with rec.during("store: a near duplicate"):
        _, d = store(
            writes, make_record, index, "https://n.example/1", edit(prose(21, 300), 100, 99)
        )
        assert d.kind == "near"
    op(
        "articles.insert_article: url stored already",
        lambda s: insert_article(s, make_record(f"https://{SOURCES[3]}.example/news/3")),
        write=True,
    )
    op(
        "articles.insert_article: a copy naming only its original",
        lambda s: insert_article(
            s,
            make_record(
                "https://late.example/copy", duplicate_of=originals[40], duplicate_kind="near"
            ),
        ),
        write=True,
    )
    op(
        "runs.finish_run",
        lambda s: finish_run(
            s, run_id[0], "ok", {"items": 4}, {n: SourceCounts(discovered=3) for n in SOURCES}
        ),
        write=True,
    )

    # The digest: what select_content and the send protocol run.
    op("digests.last_sent", lambda s: digests.last_sent(s, KEY))
    op("digests.first_sent_at", lambda s: digests.first_sent_at(s, KEY))
    op("digests.pending", lambda s: digests.pending(s, KEY))
    op(
        "digests.undelivered_clusters",
        lambda s: digests.undelivered_clusters(s, KEY, since=since, until=NOW),
    )
    op(
        "digests.undelivered_clusters: a window with delivered stories",
        lambda s: digests.undelivered_clusters(
            s, KEY, since=T0 - dt.timedelta(days=330), until=T0 - dt.timedelta(days=250)
        ),
    )
    op("digests.crawl_totals", lambda s: digests.crawl_totals(s, since=since, until=NOW))
    op("digests.source_health", lambda s: digests.source_health(s, since=since, until=NOW))
    op(
        "digest.select_content",
        lambda s: select_content(s, key=KEY, now=NOW, max_stories=20),
    )

    def send(s: Session) -> None:
        digest_id = digests.record_attempt(
            s,
            key=KEY,
            recipients=RECIPIENTS,
            message_id="<new@example.org>",
            subject="new",
            message=b"...",
            story_count=1,
            items=[(originals[-3], originals[-3])],
            now=NOW,
        )
        digests.digest_article_ids(s, digest_id)
        digests.mark_sent(s, digest_id, NOW)

    op("digests.record_attempt / digest_article_ids / mark_sent", send, write=True)

    # immediate alerts, after each crawl
    op(
        "alerts.candidates",
        lambda s: alerts.candidates(s, since=since, until=NOW, threshold=0.95),
    )
    op("alerts.already_alerted", lambda s: alerts.already_alerted(s, originals[:50]))
    op("alerts.stories_alerted_since", lambda s: alerts.stories_alerted_since(s, since))
    op("alerts.unsettled", alerts.unsettled)

    def alert(s: Session) -> None:
        alert_id = alerts.record(
            s,
            cluster_id=originals[-2],
            article_id=originals[-2],
            channel="webhook",
            key="<k@example.org>",
            payload=b"{}",
            now=NOW,
        )
        assert alert_id is not None
        alerts.mark_sent(s, alert_id, NOW)

    op("alerts.record / mark_sent", alert, write=True)

    # stats, export --since, rescore's counting, housekeeping.
    op("queries.totals", queries.totals)
    op("queries.source_stats", queries.source_stats)
    op("queries.recent_runs", queries.recent_runs)
    op("articles.iter_articles(since)", lambda s: list(iter_articles(s, since=since)))
    op(
        "articles.iter_articles(since, relevant_only)",
        lambda s: list(iter_articles(s, since=since, relevant_only=True)),
    )
    op("labels.count_relevant", count_relevant)
    op(
        "labels.update_scores",
        lambda s: update_scores(
            s,
            [ScoreUpdate(a, 0.9, True, {"terms": []}, "test-2") for a in originals[1:40:4]],
        ),
        write=True,
    )
    op(
        "housekeeping.drop_raw_pages",
        lambda s: housekeeping.drop_raw_pages(s, T0 - dt.timedelta(days=300)),
        write=True,
    )
    rec.close()
    return rec


# ---------------------------------------------------------------------------------------------
# Plans

_DML = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_INSERT_VALUES = re.compile(r"^\s*INSERT INTO \S+ \([^)]*\) VALUES\b", re.IGNORECASE)
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)")


def _names(sql: str) -> dict[str, str]:
    """``name -> table`` for the big tables, under their own names and their aliases."""
    found = {t: t for t in BIG_TABLES}
    for table, alias in re.findall(r"\b(\w+) AS (\w+)\b", sql):
        if table in BIG_TABLES:
            found[alias] = table
    return found


def _sqlite_full_reads(sql: str, plan: list[str]) -> list[str]:
    if _INSERT_VALUES.match(sql):
        # An INSERT ... VALUES reads no table. Its plan lists the child-table lookups SQLite
        # compiles for the foreign keys that reference the table (for articles, also the
        # unindexed self-reference duplicate_of: "SCAN articles"); they run only when the
        # statement has pending foreign-key violations to resolve (OP_FkIfZero), which a
        # one-row insert with immediate constraints never has.
        return []
    # SELECT ... ORDER BY <an index's order> LIMIT n with no WHERE (recent_runs) walks the
    # index from one end and stops after n rows: shown as SCAN, bounded by the LIMIT.
    bounded = (
        re.search(r"\bLIMIT\b", sql) is not None
        and re.search(r"\bWHERE\b", sql) is None
        and not any("TEMP B-TREE" in line for line in plan)
    )
    names = _names(sql)
    out = []
    for line in plan:
        m = _SQLITE_SCAN.match(line.strip())
        if m and m.group(1) in names and not bounded:
            out.append(names[m.group(1)])
    return out


def _pg_full_reads(node: dict[str, Any]) -> list[str]:
    """The big tables a (JSON) plan reads with a sequential scan, at any depth."""
    out = [node["Relation Name"]] if node["Node Type"] == "Seq Scan" else []
    out = [t for t in out if t in BIG_TABLES]
    for child in node.get("Plans", []):
        out += _pg_full_reads(child)
    return out


def plan_of(conn: Any, dialect: str, sql: str, params: Any) -> tuple[list[str], list[str]]:
    """``(plan lines, big tables read whole)`` of ``sql`` run with ``params``."""
    if dialect == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params or ()).all()
        plan = [str(r[3]) for r in rows]
        return plan, _sqlite_full_reads(sql, plan)
    (tree,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params or {}).one()
    full = _pg_full_reads(tree[0]["Plan"])
    plan = [str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql, params or {})]
    return plan, full


@contextmanager
def explaining(engine: Engine) -> Iterator[Any]:
    """A connection to explain on; PostgreSQL plans as if sequential scans cost a fortune,
    so that a seq scan in a plan means there is no index path at all."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        try:
            yield conn
        finally:
            conn.rollback()


def test_every_archive_query_has_an_index_path(engine: Engine, make_record: RecordFactory) -> None:
    index = DedupIndex()
    originals = fill(engine, make_record, index)
    recorded = run_workloads(engine, make_record, index, originals)
    dialect = engine.dialect.name
    statements = [e for e in recorded.executed if _DML.match(e.sql)]
    silent = set(recorded.operations) - {e.operation for e in statements}
    assert not silent, f"operations that ran no SQL: {sorted(silent)}"

    failures: list[str] = []
    with explaining(engine) as conn:
        for e in statements:
            plan, full = plan_of(conn, dialect, e.sql, e.params)
            if full:
                failures.append(
                    f"[{e.operation}] reads all of {sorted(set(full))}:\n  {e.sql}\n"
                    f"  params: {e.params!r}\n  plan:\n    " + "\n    ".join(plan)
                )
    assert not failures, f"{len(failures)} statement(s) read a big table whole:\n" + "\n".join(
        failures
    )


def test_the_check_sees_a_full_read(engine: Engine) -> None:
    """The test above passes on plans it cannot read: show that it catches full reads."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        cases: list[tuple[str, Any]] = [
            ("SELECT id FROM articles WHERE text LIKE ?", ("%x%",)),
            ("SELECT count(*) FROM articles", ()),  # a covering index walk reads it all too
            ("SELECT a.id FROM articles AS a WHERE a.source = ?", ("x",)),
            ("SELECT * FROM crawl_runs ORDER BY pid LIMIT ?", (5,)),  # sorts every row
            ("SELECT count(*) FROM crawl_run_sources WHERE errors > ?", (0,)),
        ]
    else:
        cases = [
            ("SELECT id FROM articles WHERE text LIKE %(v)s", {"v": "%x%"}),
            ("SELECT a.id FROM articles AS a WHERE a.source = %(v)s", {"v": "x"}),
            ("SELECT count(*) FROM crawl_run_sources WHERE errors > %(v)s", {"v": 0}),
        ]
    with explaining(engine) as conn:
        for sql, params in cases:
            plan, full = plan_of(conn, dialect, sql, params)
            assert full, (sql, plan)
