"""The inbox (``/``): new relevant stories not yet labelled, best first; and the label,
undo and reviewer-name posts that every page uses (JSON for the script, redirects for
plain forms)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scheduler.desk.render import page
from scheduler.desk.security import post_guarded, safe_next
from storage.exceptions import UsageError
from storage.inbox import inbox
from storage.labels import add_label, undo_label


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def inbox_page(request: Request) -> Response:
    state = request.app.state.desk
    since = state.clock() - dt.timedelta(days=state.ctx.config.ui.inbox_days)
    with state.sessions() as session:
        items = inbox(session, since, state.inbox_size)
    return page(request, "inbox.html.jinja", items=items, days=state.ctx.config.ui.inbox_days)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def label(request: Request) -> Response:
    """Record one label: ``article_id`` and ``relevant`` (1 or 0)."""
    state = request.app.state.desk
    form = await _form(request)
    reviewer = state.reviewer_for(request)
    back = safe_next(form.get("next"))
    if not reviewer:
        if _wants_json(request):
            return JSONResponse({"error": "who is labelling? give your name"}, status_code=409)
        return RedirectResponse(f"/?need_reviewer=1&next={back}", status_code=303)
    try:
        article_id = int(form.get("article_id", ""))
        relevant = {"1": True, "0": False}[form.get("relevant", "")]
    except (ValueError, KeyError):
        return JSONResponse({"error": "article_id and relevant (1 or 0) are needed"}, 400)
    try:
        with state.write_sessions.begin() as session:
            label_id = add_label(session, article_id, relevant, reviewer, now=state.clock())
    except UsageError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    if _wants_json(request):
        return JSONResponse({"label_id": label_id, "article_id": article_id, "relevant": relevant})
    return RedirectResponse(back, status_code=303)


async def undo(request: Request) -> Response:
    """Withdraw a label by its id (the script's ``u``)."""
    state = request.app.state.desk
    form = await _form(request)
    try:
        label_id = int(form.get("label_id", ""))
    except ValueError:
        return JSONResponse({"error": "label_id is needed"}, status_code=400)
    with state.write_sessions.begin() as session:
        article = undo_label(session, label_id, state.ctx.config.relevance.threshold)
        article_id = article.id if article is not None else None
    if article_id is None:
        return JSONResponse({"error": f"no label {label_id}"}, status_code=404)
    if _wants_json(request):
        return JSONResponse({"article_id": article_id})
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


async def reviewer(request: Request) -> Response:
    """Remember the reviewer's name in this browser (when the config names nobody)."""
    form = await _form(request)
    name = " ".join(form.get("name", "").split())[:200]
    if not name:
        return JSONResponse({"error": "a name is needed"}, status_code=400)
    response: Response
    if _wants_json(request):
        response = JSONResponse({"reviewer": name})
    else:
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        "desk_reviewer", name, max_age=365 * 86400, httponly=True, samesite="strict"
    )
    return response


routes = [
    Route("/", inbox_page),
    Route("/label", post_guarded(label), methods=["POST"]),
    Route("/undo", post_guarded(undo), methods=["POST"]),
    Route("/reviewer", post_guarded(reviewer), methods=["POST"]),
]
