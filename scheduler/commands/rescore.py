"""``newsmon rescore``: rescore every stored article with the current model, in batches."""

from __future__ import annotations

import argparse
import sys

from scheduler.commands._relevance import current_model
from scheduler.context import Context
from storage.labels import ScoreUpdate, article_batches, count_relevant, update_scores


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "rescore",
        help="rescore stored articles with the current relevance model",
        description="Rescore every stored article with the current model (after `newsmon "
        "train` or a threshold change), in batches, one transaction per batch.",
    )
    p.add_argument("--batch-size", type=int, default=500, help="articles per batch (500)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    model = current_model(ctx)
    done = 0
    last_id = 0
    while True:
        # One short read and one short write per batch: a crawl writing at the same time
        # waits at most one batch for the database.
        with ctx.sessions() as session:
            batch = next(article_batches(session, args.batch_size, since_id=last_id), [])
        if not batch:
            break
        updates = []
        for art in batch:
            s = model.score(art.title, art.text, art.language)
            updates.append(ScoreUpdate(art.id, s.score, s.relevant, s.why, model.version))
        with ctx.write_sessions.begin() as session:
            update_scores(session, updates)
        last_id = batch[-1].id
        done += len(batch)
        if ctx.interactive:
            print(f"\rrescored {done}", end="", file=sys.stderr, flush=True)
    if ctx.interactive and done:
        print(file=sys.stderr)
    with ctx.sessions() as session:
        relevant = count_relevant(session)
    print(f"rescored {done} articles with model {model.version}; {relevant} relevant")
    return 0
