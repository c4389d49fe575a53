"""``newsmon review``: list articles to review (most uncertain first), show one, label it."""

from __future__ import annotations

import argparse
import json
import textwrap

from sqlalchemy.orm import Session

from scheduler.context import Context
from storage.exceptions import UsageError
from storage.labels import add_label, get_article, labels_of, review_queue


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "review",
        help="review articles: list the most uncertain, show one, label it",
        description="Without a subcommand: list unlabelled articles whose score is nearest the "
        "threshold (the ones a label teaches the model most). Then `review show ID` and "
        "`review label ID --relevant|--not-relevant --reviewer NAME`; `newsmon train` learns "
        "from the labels.",
    )
    p.add_argument("--limit", type=int, default=20, help="how many to list (20)")
    p.add_argument("--all", action="store_true", help="include articles already labelled")
    p.set_defaults(func=run_list)
    rsub = p.add_subparsers(dest="review_command", metavar="SUBCOMMAND")
    show = rsub.add_parser("show", help="show articles' clean text, score and labels")
    show.add_argument("ids", type=int, nargs="+", metavar="ID", help="article id(s)")
    show.set_defaults(func=run_show)
    label = rsub.add_parser(
        "label", help="record a label on one or more articles (who and when are stored)"
    )
    label.add_argument("ids", type=int, nargs="+", metavar="ID", help="article id(s)")
    group = label.add_mutually_exclusive_group(required=True)
    group.add_argument("--relevant", dest="relevant", action="store_true")
    group.add_argument("--not-relevant", dest="relevant", action="store_false")
    label.add_argument("--reviewer", required=True, metavar="NAME", help="who labels")
    label.add_argument("--note", help="optional reason")
    label.set_defaults(func=run_label)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    threshold = ctx.config.relevance.threshold
    with ctx.sessions() as session:
        rows = review_queue(session, threshold, args.limit, include_labelled=args.all)
        if not rows:
            print("nothing to review")
            return 0
        print(f"{'id':>6}  {'score':>5}  {'rel':<3}  title (source)")
        for a in rows:
            mark = "yes" if a.relevant else "no"
            title = (a.title or a.url).replace("\n", " ")[:70]
            print(f"{a.id:>6}  {a.relevance_score or 0.0:>5.3f}  {mark:<3}  {title} ({a.source})")
    print(
        "\n`newsmon review show ID` to read one; `newsmon review label ID --relevant|"
        "--not-relevant --reviewer NAME` to label it"
    )
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.sessions() as session:
        missing = [i for i in args.ids if get_article(session, i) is None]
        if missing:
            raise UsageError(f"no article with id {', '.join(map(str, missing))}")
        for n, article_id in enumerate(args.ids):
            if n:
                print("\n" + "-" * 100 + "\n")
            _show(session, article_id)
    return 0


def _show(session: Session, article_id: int) -> None:
    a = get_article(session, article_id)
    assert a is not None
    print(f"id:        {a.id}")
    print(f"title:     {a.title or ''}")
    print(f"url:       {a.url}")
    print(
        f"source:    {a.source}   published: {a.published_at or '-'}   "
        f"language: {a.language or '-'}"
    )
    score = "-" if a.relevance_score is None else f"{a.relevance_score:.3f}"
    print(
        f"score:     {score} ({'relevant' if a.relevant else 'not relevant'}, "
        f"model {a.model_version or '-'})"
    )
    if a.why:
        print(f"why:       {json.dumps(a.why, ensure_ascii=False)}")
    for lab in labels_of(session, a.id):
        verdict = "relevant" if lab.relevant else "not relevant"
        print(
            f"label:     {verdict} by {lab.reviewer} at {lab.created_at:%Y-%m-%d %H:%M} UTC"
            + (f" ({lab.note})" if lab.note else "")
        )
    print()
    for para in a.text.split("\n"):
        print(textwrap.fill(para, 100) if para.strip() else "")


def run_label(args: argparse.Namespace, ctx: Context) -> int:
    # All or nothing: one unknown id labels none of them.
    with ctx.write_sessions.begin() as session:
        for article_id in args.ids:
            add_label(session, article_id, args.relevant, args.reviewer, args.note)
    verdict = "relevant" if args.relevant else "not relevant"
    for article_id in args.ids:
        print(f"article {article_id}: labelled {verdict} by {args.reviewer}")
    return 0
