"""Fill the indexed state (revision 0004) for articles stored before it existed.

URL keys, LSH band keys, missing cluster ids and the per-source counters are written in
batches, each committed with a checkpoint (the last article id done) in ``archive_meta``: a
kill loses at most one batch, and the next ``newsmon init`` goes on from the checkpoint.
Commands refuse to run on a database whose backfill has not finished.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, case, delete, func, insert, select, update

from storage._dialect import upsert_insert_for
from storage.models import ArchiveMeta, Article, DedupBand, SourceTotal, UrlKey
from storage.urlkey import url_key

CHECKPOINT = "backfill_0004"
BATCH = 5000

#: progress(done, total): articles indexed so far of those to do in this run.
Progress = Callable[[int, int], None]


def pending(conn: Connection) -> bool:
    """True while a backfill has not finished (its checkpoint row exists); revision 0004+."""
    row = conn.execute(select(ArchiveMeta.value).where(ArchiveMeta.name == CHECKPOINT))
    return row.first() is not None


def run(
    engine: Engine,
    *,
    near_threshold: float,
    num_perm: int,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> int:
    """Index every article after the checkpoint; returns how many were done in this call."""
    from storage.bands import BandLayout  # numpy: only when there is something to index

    layout = BandLayout(near_threshold, num_perm)
    with engine.connect() as conn:
        value = conn.execute(
            select(ArchiveMeta.value).where(ArchiveMeta.name == CHECKPOINT)
        ).scalar()
        if value is None:
            return 0
        last = int(value)
        total = int(
            conn.execute(select(func.count(Article.id)).where(Article.id > last)).scalar_one()
        )
    done = 0
    if progress is not None:
        progress(0, total)
    cols = (
        Article.id,
        Article.url,
        Article.canonical_url,
        Article.cluster_id,
        Article.minhash,
        Article.duplicate_kind,
    )
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(*cols).where(Article.id > last).order_by(Article.id).limit(batch)
            ).all()
            if not rows:
                _finish(conn)
                break
            keys: dict[str, int] = {}
            bands: list[dict[str, int]] = []
            for art_id, url, canonical, cluster_id, minhash, kind in rows:
                # In id order, so the first article to claim a key keeps it.
                keys.setdefault(url_key(url), art_id)
                keys.setdefault(url_key(canonical), art_id)
                if kind != "exact":
                    bands.extend({"key": k, "article_id": art_id} for k in layout.keys(minhash))
                if cluster_id is None:
                    conn.execute(
                        update(Article).where(Article.id == art_id).values(cluster_id=art_id)
                    )
            conn.execute(
                upsert_insert_for(conn, UrlKey.__table__).on_conflict_do_nothing(),
                [{"key": k, "article_id": a} for k, a in keys.items()],
            )
            if bands:
                conn.execute(
                    upsert_insert_for(conn, DedupBand.__table__).on_conflict_do_nothing(), bands
                )
            last = rows[-1][0]
            conn.execute(
                update(ArchiveMeta).where(ArchiveMeta.name == CHECKPOINT).values(value=str(last))
            )
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return done


def _finish(conn: Connection) -> None:
    """Count each source's articles once (the only whole-archive pass), drop the checkpoint."""
    conn.execute(delete(SourceTotal))
    relevant = func.sum(case((Article.relevant.is_(True), 1), else_=0))
    agg = select(
        Article.source,
        func.count(Article.id),
        relevant,
        func.count(Article.duplicate_of),
        func.max(Article.fetched_at),
    ).group_by(Article.source)
    conn.execute(
        insert(SourceTotal).from_select(
            ["source", "articles", "relevant", "duplicates", "last_fetched_at"], agg
        )
    )
    conn.execute(delete(ArchiveMeta).where(ArchiveMeta.name == CHECKPOINT))
