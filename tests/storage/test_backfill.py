"""A database from before the indexed archive (revision 0003) upgrades to the state that the
current code writes, in resumable batches, and ``newsmon init`` shows the progress.

The 0003 rows are written with Core into the reflected 0003 schema, the way earlier versions
stored them: originals (some from before cluster ids were always set, ``cluster_id`` NULL),
exact and near copies with their MinHash signatures, URL duplicates whose URLs differ only
by tracking parameters, an empty text. The reference is the same articles written through
``storage.articles.insert_article`` with the band keys of ``DedupIndex().band_keys`` into a
fresh database of the same backend.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, func, insert, select, text

from storage import backfill
from storage.articles import insert_article
from storage.dedup import DedupIndex, Signer, lock_archive
from storage.engine import make_engine, make_session_factory, session_scope
from storage.known import STORED, known_keys
from storage.migrate import current_revision, is_up_to_date, upgrade
from storage.models import ArchiveMeta, Article, DedupBand, SourceTotal, UrlKey
from storage.records import ArticleRecord
from storage.urlkey import url_key
from tests.conftest import PG_ADMIN_URL, PROJECT_DIR
from tests.storage.test_dedup import edit, prose

T0 = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
SIGNER = Signer()


@dataclass(frozen=True)
class Legacy:
    """One article as a 0003-era version stored it."""

    name: str
    url: str
    canonical: str
    source: str
    text: str
    kind: str | None = None  # duplicate_kind
    of: str | None = None  # the original's name
    cluster_null: bool = False  # stored before cluster ids were always set
    relevant: bool = False


def legacy_articles() -> list[Legacy]:
    """The archive, in id order."""
    out: list[Legacy] = []
    texts: dict[str, str] = {}
    for n in range(12):
        src = ("alpha", "beta", "gamma")[n % 3]
        url = f"https://{src}.example/news/{n}" + ("?utm_source=rss" if n % 2 == 0 else "")
        canonical = f"https://www.{src}.example/story/{n}?utm_medium=feed" if n % 3 == 0 else url
        texts[f"o{n}"] = prose(300 + n)
        out.append(
            Legacy(
                f"o{n}",
                url,
                canonical,
                src,
                texts[f"o{n}"],
                cluster_null=n in (2, 5, 9),
                relevant=n % 2 == 0,
            )
        )
    out += [
        # Exact copies: the same text on another site (one of an original without cluster id).
        Legacy("e1", "https://copy.example/e1", "https://copy.example/e1", "copy", texts["o1"],
               kind="exact", of="o1", relevant=False),
        Legacy("e2", "https://copy.example/e2", "https://copy.example/e2", "copy", texts["o2"],
               kind="exact", of="o2", relevant=True),
        # Near copies: lightly edited.
        Legacy("n3", "https://copy.example/n3", "https://copy.example/n3", "copy",
               edit(texts["o3"], 100, 3) + " Read more.", kind="near", of="o3"),
        Legacy("n4", "https://delta.example/n4?fbclid=abc", "https://delta.example/n4", "delta",
               edit(texts["o4"], 100, 4), kind="near", of="o4", relevant=True),
        # URL duplicates: a mirror naming o6's canonical URL with other tracking parameters,
        # and o8's own URL with another utm_source.
        Legacy("u6", "https://mirror.example/u6", "https://www.alpha.example/story/6?utm_source=x",
               "mirror", prose(906), kind="url", of="o6"),
        Legacy("u8", "https://gamma.example/news/8?utm_source=twitter",
               "https://gamma.example/news/8?utm_source=twitter", "gamma", texts["o8"] + " Update.",
               kind="url", of="o8"),
        Legacy("empty", "https://beta.example/empty", "https://beta.example/empty", "beta", ""),
        # A copy stored before cluster ids were set: it was read as a story of its own.
        Legacy("d7", "https://copy.example/d7", "https://copy.example/d7", "copy",
               edit(texts["o7"], 100, 7), kind="near", of="o7", cluster_null=True),
        Legacy("o12", "https://delta.example/news/12", "https://delta.example/news/12", "delta",
               prose(312), relevant=True),
    ]  # fmt: skip
    return out


ARTICLES = legacy_articles()


def fetched(n: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=7 * n)


def write_legacy(engine: Engine) -> dict[str, int]:
    """The 0003 archive, with Core into the reflected 0003 schema; returns name -> id."""
    assert current_revision(engine) == "0003"
    ids: dict[str, int] = {}
    clusters: dict[str, int | None] = {}
    with engine.begin() as conn:
        articles = Table("articles", MetaData(), autoload_with=conn)
        for n, a in enumerate(ARTICLES):
            digest, blob = SIGNER.sign(a.text)
            values: dict[str, Any] = {
                "url": a.url,
                "canonical_url": a.canonical,
                "source": a.source,
                "title": f"Title {a.name}",
                "fetched_at": fetched(n).replace(tzinfo=None),
                "language": "en",
                "text": a.text,
                "text_hash": digest,
                "minhash": blob or None,
                "relevance_score": 0.9 if a.relevant else 0.2,
                "relevant": a.relevant,
                "model_version": "old-1",
                "duplicate_of": ids[a.of] if a.of else None,
                "duplicate_kind": a.kind,
            }
            art_id = int(conn.execute(insert(articles).values(values)).inserted_primary_key[0])
            ids[a.name] = art_id
            if a.cluster_null:
                cluster = None
            elif a.of:
                cluster = clusters[a.of] if clusters[a.of] is not None else ids[a.of]
            else:
                cluster = art_id
            clusters[a.name] = cluster
            if cluster is not None:
                conn.execute(
                    articles.update().where(articles.c.id == art_id).values(cluster_id=cluster)
                )
    return ids


def write_current(engine: Engine) -> dict[str, int]:
    """The same articles through the current storing code; returns name -> id."""
    index = DedupIndex()
    sessions = make_session_factory(engine, write=True)
    ids: dict[str, int] = {}
    for n, a in enumerate(ARTICLES):
        digest, blob = SIGNER.sign(a.text)
        rec = ArticleRecord(
            url=a.url,
            canonical_url=a.canonical,
            source=a.source,
            title=f"Title {a.name}",
            author=None,
            published_at=None,
            fetched_at=fetched(n),
            language="en",
            site_name=None,
            text=a.text,
            text_hash=digest,
            minhash=blob or None,
            relevance_score=0.9 if a.relevant else 0.2,
            relevant=a.relevant,
            why=None,
            model_version="old-1",
            duplicate_of=ids[a.of] if a.of else None,
            duplicate_kind=a.kind,
            cluster_id=None,
            crawl_run_id=None,
            band_keys=index.band_keys(blob),
        )
        with session_scope(sessions) as s:
            lock_archive(s)
            ids[a.name], inserted = insert_article(s, rec)
        assert inserted
    return ids


@dataclass
class State:
    """The indexed state, with article ids replaced by the articles' names."""

    url_keys: set[tuple[str, str]]
    bands: set[tuple[int, str]]
    totals: dict[str, tuple[int, int, int, dt.datetime | None]]
    clusters: dict[str, str | None]
    rows: dict[str, int]  # rows per table: duplicates would show here


def state(engine: Engine, ids: dict[str, int]) -> State:
    name = {i: n for n, i in ids.items()}
    with engine.connect() as conn:
        keys = conn.execute(select(UrlKey.key, UrlKey.article_id)).all()
        bands = conn.execute(select(DedupBand.key, DedupBand.article_id)).all()
        totals = conn.execute(
            select(
                SourceTotal.source,
                SourceTotal.articles,
                SourceTotal.relevant,
                SourceTotal.duplicates,
                SourceTotal.last_fetched_at,
            )
        ).all()
        clusters = conn.execute(select(Article.id, Article.cluster_id)).all()
    return State(
        url_keys={(k, name[a]) for k, a in keys},
        bands={(k, name[a]) for k, a in bands},
        totals={t[0]: (t[1], t[2], t[3], t[4]) for t in totals},
        clusters={name[i]: name.get(c) if c is not None else None for i, c in clusters},
        rows={"url_keys": len(keys), "dedup_bands": len(bands), "articles": len(clusters)},
    )


def checkpoint(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(ArchiveMeta.value).where(ArchiveMeta.name == backfill.CHECKPOINT)
        ).scalar()


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def legacy(db_url: str) -> Iterator[Engine]:
    """An engine on a database at revision 0003 (before the indexed archive)."""
    eng = make_engine(db_url)
    upgrade(eng, "0003")
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def reference(db_url: str, tmp_path: Path) -> Iterator[tuple[State, dict[str, int]]]:
    """The state the current code writes for the same articles, on the same backend."""
    if db_url.startswith("sqlite"):
        eng = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
        upgrade(eng)
        try:
            ids = write_current(eng)
            yield state(eng, ids), ids
        finally:
            eng.dispose()
        return
    dbname = f"newsmon_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    eng = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{dbname}")
    try:
        upgrade(eng)
        ids = write_current(eng)
        yield state(eng, ids), ids
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}"'))
        admin.dispose()


def assert_matches(got: State, want: State, ids: dict[str, int]) -> None:
    assert got.url_keys == want.url_keys
    assert got.bands == want.bands
    assert got.totals == want.totals
    assert got.rows == want.rows
    # A copy stored before cluster ids were set was read as a story of its own (the digest
    # and the old in-memory index took a NULL cluster id as the article's own id), and the
    # backfill keeps it so; the current code would put a new copy in its original's cluster.
    assert got.clusters["d7"] == "d7" and want.clusters["d7"] == "o7"
    assert {k: v for k, v in got.clusters.items() if k != "d7"} == {
        k: v for k, v in want.clusters.items() if k != "d7"
    }
    assert None not in got.clusters.values()


class Interrupted(Exception):
    """A kill, as far as the backfill can tell."""


# ---------------------------------------------------------------------------------------------
# Tests


def test_upgrade_indexes_the_archive_as_the_current_code_would(
    legacy: Engine, reference: tuple[State, dict[str, int]]
) -> None:
    ids = write_legacy(legacy)
    want, ref_ids = reference
    assert ids == ref_ids  # same order, same ids: the states compare name by name
    assert not is_up_to_date(legacy)

    upgrade(legacy, "0004")  # the schema only: the backfill is still due
    assert current_revision(legacy) == "0004"
    assert checkpoint(legacy) == "0"
    assert not is_up_to_date(legacy)

    calls: list[tuple[int, int]] = []
    upgrade(legacy, progress=lambda done, total: calls.append((done, total)))
    assert is_up_to_date(legacy)
    assert checkpoint(legacy) is None
    assert calls == [(0, len(ARTICLES)), (len(ARTICLES), len(ARTICLES))]
    assert_matches(state(legacy, ids), want, ids)
    # What the reference holds: a key's first article keeps it (o6's canonical URL, o8's URL
    # under another utm_source); every signature but an exact copy's has band rows.
    holder = dict(want.url_keys)
    assert holder[url_key("https://www.alpha.example/story/6")] == "o6"
    assert holder[url_key("https://mirror.example/u6")] == "u6"
    assert holder[url_key("https://gamma.example/news/8")] == "o8"
    assert {n for _, n in want.bands} == {a.name for a in ARTICLES if a.kind != "exact" and a.text}
    upgrade(legacy)  # a second `newsmon init` changes nothing
    assert_matches(state(legacy, ids), want, ids)

    # The upgraded archive answers the crawl's questions by its indexes.
    index = DedupIndex()
    sessions = make_session_factory(legacy, write=True)
    by_text = {a.name: a.text for a in ARTICLES}
    with session_scope(sessions) as s:
        near = index.check(s, "https://new.example/1", edit(by_text["o5"], 100, 55))
        assert (near.kind, near.duplicate_of) == ("near", ids["o5"])  # o5: NULL cluster once
        near = index.check(s, "https://new.example/2", edit(by_text["o10"], 100, 10))
        assert (near.kind, near.duplicate_of) == ("near", ids["o10"])
        copy = index.check(s, "https://new.example/3", by_text["n4"].upper())
        assert (copy.kind, copy.duplicate_of) == ("exact", ids["o4"])
        again = url_key("https://www.alpha.example/story/0?utm_campaign=z")
        by_url = index.check(s, again, prose(1))
        assert (by_url.kind, by_url.duplicate_of) == ("url", ids["o0"])
        assert index.check(s, "https://new.example/4", prose(4242)).kind is None
        listed = [
            url_key("https://beta.example/news/7?utm_source=newsletter"),
            url_key("https://copy.example/e1#comments"),
            "https://beta.example/news/never",
        ]
        assert known_keys(s, listed) == {listed[0]: STORED, listed[1]: STORED}


def test_an_interrupted_backfill_goes_on_from_its_checkpoint(
    legacy: Engine, reference: tuple[State, dict[str, int]]
) -> None:
    ids = write_legacy(legacy)
    want, _ = reference
    upgrade(legacy, "0004")
    order = sorted(ids.values())

    def killed_after(batches: int) -> backfill.Progress:
        seen = [0]

        def progress(done: int, total: int) -> None:
            if done > 0:
                seen[0] += 1
                if seen[0] >= batches:
                    raise Interrupted

        return progress

    # Killed after the first batch of 4: that batch is committed, with its checkpoint.
    with pytest.raises(Interrupted):
        backfill.run(legacy, near_threshold=0.8, num_perm=128, progress=killed_after(1), batch=4)
    assert not is_up_to_date(legacy)
    assert checkpoint(legacy) == str(order[3])
    first = state(legacy, ids)
    assert {a for _, a in first.url_keys} == {n for n, i in ids.items() if i <= order[3]}
    assert first.totals == {}  # counted once, at the end

    # Killed again two batches later.
    with pytest.raises(Interrupted):
        backfill.run(legacy, near_threshold=0.8, num_perm=128, progress=killed_after(2), batch=4)
    assert checkpoint(legacy) == str(order[11])
    assert not is_up_to_date(legacy)

    # Killed after indexing the rest, before the counting that ends the backfill.
    with pytest.raises(Interrupted):
        backfill.run(legacy, near_threshold=0.8, num_perm=128, progress=killed_after(1))
    assert checkpoint(legacy) == str(order[-1])
    assert not is_up_to_date(legacy)

    calls: list[tuple[int, int]] = []
    upgrade(legacy, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 0)]
    assert is_up_to_date(legacy)
    assert_matches(state(legacy, ids), want, ids)


def test_init_indexes_a_0003_database_and_commands_work_after(
    legacy: Engine, db_url: str, tmp_path: Path
) -> None:
    write_legacy(legacy)
    legacy.dispose()
    config = tmp_path / "newsmon.toml"
    config.write_text(f'[storage]\nurl = "{db_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}

    def newsmon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            cwd=PROJECT_DIR,
            check=False,
        )

    refused = newsmon("stats")
    assert refused.returncode != 0
    assert "newsmon init" in refused.stderr

    init = newsmon("init")
    assert init.returncode == 0, init.stderr[-2000:]
    n = len(ARTICLES)
    assert f"indexing stored articles: {n} / {n} (100%)" in init.stderr
    assert "(ready)" in init.stdout
    assert is_up_to_date(legacy)

    stats = newsmon("stats", "--json")
    assert stats.returncode == 0, stats.stderr[-2000:]
    totals = json.loads(stats.stdout)["totals"]
    copies = sum(a.of is not None for a in ARTICLES)
    assert totals == {
        "articles": n,
        "relevant": sum(a.relevant for a in ARTICLES),
        "duplicates": copies,
        "clusters": n - copies,
    }
    exported = newsmon("export", "--since", fetched(16).isoformat(), "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr[-2000:]
    urls = [json.loads(line)["url"] for line in exported.stdout.splitlines()]
    assert urls == [a.url for a in ARTICLES[16:]]
    with legacy.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(UrlKey)) == len(
            {k for a in ARTICLES for k in (url_key(a.url), url_key(a.canonical))}
        )
