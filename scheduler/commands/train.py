"""``newsmon train``: refit the relevance model from the seeds and the reviewers' labels."""

from __future__ import annotations

import argparse

from crawler.relevance import ModelStore
from crawler.relevance.evaluation import Metrics
from crawler.relevance.seeds import read_seeds
from crawler.relevance.training import TrainingDoc, background_docs, train
from crawler.relevance.validation import cross_validate, evaluate
from scheduler.commands._relevance import model_store, seeds_dir
from scheduler.context import Context
from storage.labels import latest_labels


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "train",
        help="refit the relevance model from seeds + review labels (or roll back)",
        description="Refit the model from seeds/ and the reviewers' labels, print "
        "cross-validated precision/recall on the labels before and after, and make the new "
        "model current, unless it does worse on the labels than the seeds-only model (then it "
        "is saved but not used; --force uses it anyway). The previous model is kept: "
        "`newsmon train --rollback` restores it. Run `newsmon rescore` afterwards to rescore "
        "stored articles.",
    )
    p.add_argument("--rollback", action="store_true", help="make the previous model current")
    p.add_argument(
        "--force",
        action="store_true",
        help="make the new model current even if it does worse on the labels",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.set_defaults(func=run)


def _line(name: str, m: Metrics | None) -> str:
    if m is None:
        return f"  {name:<28} (needs at least 2 labels of each kind)"
    return (
        f"  {name:<28} precision {m.precision:.3f}  recall {m.recall:.3f}  F1 {m.f1:.3f}"
        f"  (tp {m.tp}, fp {m.fp}, fn {m.fn}, tn {m.tn})"
    )


def _rollback(store: ModelStore) -> int:
    before = store.current_version()
    version = store.rollback()
    print(f"relevance model: {before} -> {version} (rolled back)")
    print("run `newsmon rescore` to rescore stored articles with it")
    return 0


def run(args: argparse.Namespace, ctx: Context) -> int:
    store = model_store(ctx)
    if args.rollback:
        return _rollback(store)
    threshold = ctx.config.relevance.threshold
    with ctx.sessions() as session:
        labels = latest_labels(session)
    labelled = [
        TrainingDoc(f"article:{lab.article_id}", lab.title, lab.text, lab.relevant, "label")
        for lab in labels
    ]
    base = [*read_seeds(seeds_dir(ctx)), *background_docs()]
    positives = sum(d.relevant for d in labelled)
    print(
        f"training data: {sum(d.origin == 'seed' for d in base)} seeds, "
        f"{len(labelled)} labels ({positives} relevant, {len(labelled) - positives} not)"
    )
    current = store.load_current(threshold)
    print(f"on the review labels (threshold {threshold:.2f}):")
    if current is not None and labelled:
        print(_line(f"current model {current.version}", evaluate(current, labelled)))
    before: Metrics | None = None
    if labelled:
        # The seeds-only model never saw a label: an honest "before" figure.
        seeds_only = train(base, threshold=threshold)
        before = evaluate(seeds_only, labelled)
        print(_line("before (seeds only)", before))
    after_cv = cross_validate(base, labelled, threshold=threshold, folds=args.folds)
    print(_line("after, cross-validated", after_cv))
    model = train([*base, *labelled], threshold=threshold)
    if after_cv is not None and before is not None and after_cv.f1 < before.f1 and not args.force:
        # Both figures are on articles the judged model never learned from (the seeds-only
        # model saw no label; ``after_cv`` is cross-validated), so they compare fairly.
        store.save(model, activate=False)
        if current is None:
            store.save(seeds_only)
            current = seeds_only
        print(
            f"relevance model: {model.version} saved but NOT made current: on labelled "
            f"articles it did not learn from it does worse than the seeds-only model (F1 "
            f"{after_cv.f1:.3f} < {before.f1:.3f}); {current.version} stays current"
        )
        print("`newsmon train --force` makes the new model current anyway")
        return 0
    store.save(model)
    previous = current.version if current is not None else None
    print(f"relevance model: {model.version} (current)")
    if previous:
        print(f"previous model {previous} kept: `newsmon train --rollback` restores it")
    print("run `newsmon rescore` to rescore stored articles with it")
    return 0
