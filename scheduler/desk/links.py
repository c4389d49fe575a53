"""One-click links from the digest (``/l/TOKEN``, made by ``tokens.py``; clicking one twice
records one label) and the login form for the access token."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scheduler.desk.render import page
from scheduler.desk.security import AUTH_COOKIE, post_guarded
from scheduler.desk.tokens import ACTIONS, SALT
from storage.labels import add_label
from storage.models import Article

LINK_REVIEWER = "digest link"


async def follow(request: Request) -> Response:
    state = request.app.state.desk
    max_age = state.ctx.config.ui.link_days * 86400
    try:
        article_id, action = URLSafeTimedSerializer(state.secret, salt=SALT).loads(
            request.path_params["token"], max_age=max_age
        )
        verdict = ACTIONS[action]
    except SignatureExpired:
        expired = "this link has expired: open the story in the desk instead"
        return page(request, "error.html.jinja", status=410, message=expired)
    except (BadSignature, ValueError, KeyError, TypeError):
        return page(request, "error.html.jinja", status=400, message="this link is not valid")
    if verdict is not None:
        reviewer = state.ctx.config.ui.reviewer or LINK_REVIEWER
        with state.write_sessions.begin() as session:
            article = session.get(Article, int(article_id))
            if article is None:
                return page(request, "error.html.jinja", status=404, message="no such article")
            if article.label is not verdict:  # a second click changes nothing
                add_label(session, article.id, verdict, reviewer, "from the digest",
                          now=state.clock())  # fmt: skip
    return RedirectResponse(f"/story/{int(article_id)}", status_code=303)


async def login_form(request: Request) -> Response:
    return page(request, "login.html.jinja", failed=False)


async def login(request: Request) -> Response:
    auth = request.app.state.auth
    form = await request.form()
    given = form.get("token")
    if not isinstance(given, str) or not auth.check_token(given.strip()):
        return page(request, "login.html.jinja", status=401, failed=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(AUTH_COOKIE, auth.cookie_value(), httponly=True, samesite="strict")
    return response


routes = [
    Route("/l/{token:str}", follow),
    Route("/login", login_form),
    Route("/login", post_guarded(login), methods=["POST"]),
]
