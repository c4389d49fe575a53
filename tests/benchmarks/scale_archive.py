"""A synthetic archive of N realistic articles, written as newsmon writes them (for bench_scale).

~500-word texts over a Zipf-distributed vocabulary, ~300 hosts, a few per cent exact and near
copies (folded into their original's story), ~10% with a canonical URL other than the fetched
one, fetch dates spread over a year, an hourly crawl run and a daily delivered digest. Text
hashes and MinHash signatures come from the project's own signer (in a process pool: it is
most of the cost), band keys from its LSH layout, URL keys from its normalizer; rows go in
with bulk INSERTs, in id order, exactly as ``insert_article`` would have left them.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Engine, func, insert, select, text

from storage.dedup import BandLayout, Signer
from storage.digests import recipients_key
from storage.models import (
    Article,
    CrawlRun,
    CrawlRunSource,
    DedupBand,
    Digest,
    DigestItem,
    SourceTotal,
    UrlKey,
)
from storage.urlkey import url_key

HOSTS = 300
WORDS_PER_TEXT = 500
VOCABULARY = 30_000
EXACT_SHARE = 0.02
NEAR_SHARE = 0.03
CANONICAL_SHARE = 0.10
RELEVANT_SHARE = 0.10
BATCH = 2000
RECIPIENTS = ["analyst@example.org"]
RECIPIENTS_KEY = recipients_key(RECIPIENTS)

_VOCAB: list[str] = []
_CUM: list[float] = []


def _init_vocab() -> None:
    rnd = random.Random(7)
    syllables = [
        "ka",
        "re",
        "mi",
        "no",
        "vo",
        "sta",
        "li",
        "ra",
        "go",
        "tov",
        "ski",
        "pre",
        "da",
        "ne",
        "su",
        "pol",
        "mos",
        "ter",
        "vin",
        "kor",
    ]
    seen: set[str] = set()
    while len(seen) < VOCABULARY:
        seen.add("".join(rnd.choices(syllables, k=rnd.randint(1, 4))))
    _VOCAB.extend(sorted(seen))
    total = 0.0
    for rank in range(1, VOCABULARY + 1):
        total += 1.0 / rank
        _CUM.append(total)


def _text(seed: int) -> str:
    rnd = random.Random(seed)
    words = rnd.choices(_VOCAB, cum_weights=_CUM, k=WORDS_PER_TEXT)
    return " ".join(words)


def _edit(text_: str, seed: int, every: int = 80) -> str:
    """A lightly edited copy (one word in ``every``): a near-duplicate at Jaccard ~0.85."""
    rnd = random.Random(seed)
    words = text_.split()
    for i in range(rnd.randrange(every), len(words), every):
        words[i] = "edited"
    return " ".join(words)


@dataclass(frozen=True)
class Planned:
    id: int
    kind: str | None  # None (original), "exact", "near"
    original: int | None
    seed: int


def _plan(n: int, rnd: random.Random) -> Iterator[Planned]:
    originals: list[int] = []
    for i in range(1, n + 1):
        roll = rnd.random()
        if originals and roll < EXACT_SHARE:
            yield Planned(i, "exact", rnd.choice(originals[-2000:]), 0)
        elif originals and roll < EXACT_SHARE + NEAR_SHARE:
            yield Planned(i, "near", rnd.choice(originals[-2000:]), 0)
        else:
            originals.append(i)
            yield Planned(i, None, None, i)


def _sign(job: tuple[int, str | None, int | None]) -> tuple[int, str, bytes]:
    """(id, text_hash, minhash) of a planned article: its own text, or its original's."""
    art_id, kind, original = job
    body = _text(original if original is not None else art_id)
    if kind == "near":
        body = _edit(body, art_id)
    digest, blob = _SIGNER.sign(body)
    return art_id, digest, blob


_SIGNER = Signer()


def fill(
    engine: Engine, n: int, *, now: dt.datetime, workers: int = 2, progress: bool = True
) -> None:
    """Write ``n`` articles (and a year of crawl runs and digests) into a migrated database."""
    if not _VOCAB:
        _init_vocab()
    rnd = random.Random(n)
    layout = BandLayout()
    start = now - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(n, 1)
    plan = list(_plan(n, rnd))
    by_id = {p.id: p for p in plan}
    clusters: dict[int, int] = {}
    totals: dict[str, dict[str, Any]] = {}
    relevant_by_day: dict[int, list[tuple[int, int]]] = {}
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init_vocab) as pool:
        jobs = ((p.id, p.kind, p.original) for p in plan)
        signed = pool.imap(_sign, jobs, chunksize=200)
        rows: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        bands: list[dict[str, Any]] = []
        for count, (art_id, digest, blob) in enumerate(signed, 1):
            p = by_id[art_id]
            host = rnd.randrange(HOSTS)
            source = f"src-{host:03d}"
            url = f"https://news{host:03d}.example/{art_id // 1000}/story-{art_id}.html"
            canonical = url
            if rnd.random() < CANONICAL_SHARE:
                url += "?utm_source=feed&id=" + str(art_id)
            cluster = clusters[p.original] if p.original is not None else art_id
            clusters[art_id] = cluster
            fetched = start + step * art_id
            score = rnd.random()
            relevant = score > 1 - RELEVANT_SHARE
            body = _text(p.original if p.original is not None else art_id)
            rows.append(
                {
                    "id": art_id,
                    "url": url,
                    "canonical_url": canonical,
                    "source": source,
                    "title": f"Story {art_id} from {source}",
                    "author": None,
                    "published_at": fetched - dt.timedelta(hours=1),
                    "fetched_at": fetched,
                    "language": "en",
                    "site_name": f"News {host}",
                    "text": body if p.kind != "near" else _edit(body, art_id),
                    "text_hash": digest,
                    "minhash": blob,
                    "relevance_score": score,
                    "relevant": relevant,
                    "why": {"summary": "synthetic"},
                    "model_version": "bench",
                    "duplicate_of": cluster if p.kind else None,
                    "duplicate_kind": p.kind,
                    "cluster_id": cluster,
                    "crawl_run_id": None,
                }
            )
            for key in {url_key(url), url_key(canonical)}:
                keys.append({"key": key, "article_id": art_id})
            if p.kind != "exact":
                bands.extend({"key": k, "article_id": art_id} for k in layout.keys(blob))
            t = totals.setdefault(
                source, {"articles": 0, "relevant": 0, "duplicates": 0, "last": fetched}
            )
            t["articles"] += 1
            t["relevant"] += int(relevant)
            t["duplicates"] += int(p.kind is not None)
            t["last"] = fetched
            if relevant:
                relevant_by_day.setdefault((fetched - start).days, []).append((art_id, cluster))
            if len(rows) >= BATCH or count == n:
                _write(engine, rows, keys, bands)
                rows, keys, bands = [], [], []
                if progress:
                    print(f"\r  filled {count:,} / {n:,}", end="", file=sys.stderr, flush=True)
    if progress and n:
        print(file=sys.stderr)
    with engine.begin() as conn:
        if totals:
            conn.execute(
                insert(SourceTotal),
                [
                    {
                        "source": s,
                        "articles": t["articles"],
                        "relevant": t["relevant"],
                        "duplicates": t["duplicates"],
                        "last_fetched_at": t["last"],
                    }
                    for s, t in totals.items()
                ],
            )
        _history(conn, start, now, relevant_by_day)
        if conn.dialect.name == "postgresql":
            for table in ("articles", "crawl_runs", "crawl_run_sources", "digests", "digest_items"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
                )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def _write(
    engine: Engine,
    rows: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    bands: list[dict[str, Any]],
) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # A 1 GB page cache for the fill's connection: the band, URL-key and search indexes
            # take keys in random order, and with the default 2 MB cache each batch rereads
            # their pages from disk, so the fill slowed from ~40k to ~10k articles a minute
            # by half a million.
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
        conn.execute(insert(Article), rows)
        if conn.dialect.name == "sqlite":
            conn.execute(insert(UrlKey).prefix_with("OR IGNORE"), keys)
        else:
            from sqlalchemy.dialects import postgresql

            conn.execute(postgresql.insert(UrlKey).on_conflict_do_nothing(), keys)
        if bands:
            conn.execute(insert(DedupBand), bands)


def _history(
    conn: Any, start: dt.datetime, now: dt.datetime, relevant_by_day: dict[int, list[Any]]
) -> None:
    """An hourly crawl run (three sources each) and a delivered digest every morning."""
    runs, sources = [], []
    hours = int((now - start).total_seconds() // 3600)
    for h in range(hours):
        at = start + dt.timedelta(hours=h)
        runs.append(
            {
                "id": h + 1,
                "started_at": at,
                "finished_at": at + dt.timedelta(seconds=20),
                "status": "ok",
                "sources": ["src-000", "src-001", "src-002"],
                "stats": {},
            }
        )
        for s in range(3):
            sources.append(
                {"run_id": h + 1, "source": f"src-{s:03d}", "discovered": 50, "fetched": 8,
                 "new": 8, "relevant": 1, "duplicates": 0, "not_modified": 0, "errors": 0}
            )  # fmt: skip
    for i in range(0, len(runs), 5000):
        conn.execute(insert(CrawlRun), runs[i : i + 5000])
    for i in range(0, len(sources), 5000):
        conn.execute(insert(CrawlRunSource), sources[i : i + 5000])
    items = []
    for day in range(365):
        created = start + dt.timedelta(days=day + 1, hours=7)
        if created > now:
            break
        members = relevant_by_day.get(day, [])
        conn.execute(
            insert(Digest),
            {
                "id": day + 1,
                "recipients_key": RECIPIENTS_KEY,
                "recipients": RECIPIENTS,
                "status": "sent",
                "created_at": created,
                "sent_at": created,
                "message_id": f"<bench-{day}@example.org>",
                "subject": "digest",
                "message": b"",
                "story_count": len(members),
                "article_count": len(members),
                "attempts": 1,
            },
        )
        items.extend({"digest_id": day + 1, "article_id": a, "cluster_id": c} for a, c in members)
    for i in range(0, len(items), 5000):
        conn.execute(insert(DigestItem), items[i : i + 5000])


def article_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(Article.id))).scalar() or 0)


COPIED = (CrawlRun, CrawlRunSource, Article, UrlKey, DedupBand, SourceTotal, Digest, DigestItem)


def copy_archive(source: Engine, target: Engine, *, progress: bool = True) -> None:
    """Copy a filled SQLite archive into a migrated, empty PostgreSQL database (COPY FROM STDIN).

    Filling signs every text again; copying the SQLite archive of the same N gives the same
    rows (same texts, signatures, band keys and history) about ten times faster.
    """
    import json

    with source.connect() as src, target.connect() as dst:
        raw = dst.connection.driver_connection
        assert raw is not None
        for model in COPIED:
            table = model.__table__
            names = [c.name for c in table.columns]
            json_cols = {i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)}
            total = src.execute(select(func.count()).select_from(table)).scalar() or 0
            rows = src.execute(select(table).execution_options(yield_per=20_000))
            done = 0
            sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            with raw.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    values = list(row)
                    for i in json_cols:
                        if values[i] is not None:
                            values[i] = json.dumps(values[i])
                    copy.write_row(values)
                    done += 1
                    if progress and done % 100_000 == 0:
                        print(
                            f"\r  {table.name}: {done:,} / {total:,}",
                            end="",
                            file=sys.stderr,
                            flush=True,
                        )
            raw.commit()
            if progress:
                print(f"\r  {table.name}: {done:,} rows copied", file=sys.stderr)
        for name in ("articles", "crawl_runs", "crawl_run_sources", "digests", "digest_items"):
            dst.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                )
            )
        dst.execute(text("ANALYZE"))
        dst.commit()
