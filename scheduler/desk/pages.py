"""The sources, digests and model pages. Training and rollback run the code of
``newsmon train`` itself; its printed report is what the page shows, and is kept."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
from argparse import Namespace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from scheduler.desk.render import page
from scheduler.desk.security import post_guarded
from storage.models import ArchiveMeta, Digest
from storage.overview import digests, source_overview

REPORT_NAME = "desk_training_report"
#: The mailed HTML is shown as it was sent, with its own inline styles and nothing else.
MAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


async def sources_page(request: Request) -> Response:
    state = request.app.state.desk
    with state.sessions() as session:
        rows = source_overview(session, state.clock())
    return page(request, "sources.html.jinja", sources=rows)


async def digests_page(request: Request) -> Response:
    state = request.app.state.desk
    with state.sessions() as session:
        rows = digests(session)
    return page(request, "digests.html.jinja", digests=rows)


def mailed_html(message: bytes) -> str | None:
    msg = email.message_from_bytes(message, policy=email.policy.default)
    part = msg.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    return None if part is None else str(part.get_content())


async def digest_mail(request: Request) -> Response:
    state = request.app.state.desk
    with state.sessions() as session:
        d = session.get(Digest, request.path_params["digest_id"])
        html = mailed_html(d.message) if d is not None else None
    if html is None:
        return page(request, "error.html.jinja", status=404, message="no such digest")
    return HTMLResponse(html, headers={"content-security-policy": MAIL_CSP})


def _model_facts(request: Request) -> dict[str, Any]:
    from crawler.relevance.training import TrainingDoc
    from crawler.relevance.validation import evaluate
    from scheduler.commands._relevance import model_store
    from storage.labels import latest_labels

    state = request.app.state.desk
    ctx = state.ctx
    store = model_store(ctx)
    threshold = ctx.config.relevance.threshold
    model = store.load_current(threshold)
    with state.sessions() as session:
        labels = latest_labels(session)
        report = session.get(ArchiveMeta, REPORT_NAME)
    docs = [TrainingDoc(f"article:{x.article_id}", x.title, x.text, x.relevant, "label")
            for x in labels]  # fmt: skip
    metrics = evaluate(model, docs) if model is not None and docs else None
    return {
        "version": store.current_version(),
        "history": store.history(),
        "labels": len(docs),
        "metrics": metrics,
        "report": report.value if report is not None else None,
        "threshold": threshold,
    }


async def model_page(request: Request) -> Response:
    facts = await run_in_threadpool(_model_facts, request)
    return page(request, "model.html.jinja", **facts)


async def _run_train(request: Request, rollback: bool) -> Response:
    from scheduler.commands import train

    state = request.app.state.desk
    out = io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(out):
            try:
                train.run(Namespace(rollback=rollback, force=False, folds=5), state.ctx)
            except Exception as exc:  # shown in the report, the desk keeps running
                print(f"failed: {exc}")
        with state.write_sessions.begin() as session:
            session.merge(ArchiveMeta(name=REPORT_NAME, value=out.getvalue()))

    await run_in_threadpool(run)
    return RedirectResponse("/model", status_code=303)


async def train_model(request: Request) -> Response:
    return await _run_train(request, rollback=False)


async def rollback_model(request: Request) -> Response:
    return await _run_train(request, rollback=True)


routes = [
    Route("/sources", sources_page),
    Route("/digests", digests_page),
    Route("/digests/{digest_id:int}", digest_mail),
    Route("/model", model_page),
    Route("/model/train", post_guarded(train_model), methods=["POST"]),
    Route("/model/rollback", post_guarded(rollback_model), methods=["POST"]),
]
