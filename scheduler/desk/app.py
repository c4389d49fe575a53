"""Builds the review desk's ASGI app (Starlette) from a :class:`DeskState`.

Starlette, not FastAPI or Litestar: the desk is a dozen server-rendered pages and form
posts; Starlette gives routing, requests, responses and static files with nothing else
(no validation layer or OpenAPI schema to carry), and its test client drives it in-process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from scheduler.context import Context
from scheduler.desk import inbox, links, pages, search, story
from scheduler.desk.render import make_env
from scheduler.desk.security import AuthToken, Csrf, GuardMiddleware
from scheduler.desk.tokens import desk_secret
from storage.models import utcnow

STATIC = Path(__file__).with_name("static")
REVIEWER_COOKIE = "desk_reviewer"


@dataclass
class DeskState:
    """What the routes share: the command's context, the access token, the clock."""

    ctx: Context
    token: str | None = None
    clock: Callable[[], dt.datetime] = utcnow
    secret: str = field(default="")
    #: Stories on the inbox page (the script brings in more as they are labelled).
    inbox_size: int = 50

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.ctx.sessions

    @property
    def write_sessions(self) -> sessionmaker[Session]:
        return self.ctx.write_sessions

    def reviewer_for(self, request: Request) -> str | None:
        """The configured reviewer, else the name this browser gave once (a cookie)."""
        configured = self.ctx.config.ui.reviewer
        if configured:
            return configured
        name = (request.cookies.get(REVIEWER_COOKIE) or "").strip()
        return name[:200] or None


def create_app(state: DeskState) -> Starlette:
    if not state.secret:
        state.secret = desk_secret(state.write_sessions)
    csrf = Csrf(state.secret)
    auth = AuthToken(state.token, state.secret)
    routes = [
        *inbox.routes,
        *story.routes,
        *search.routes,
        *pages.routes,
        *links.routes,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(GuardMiddleware, auth=auth, csrf=csrf, base_url=state.ctx.config.ui.base_url)
        ],
    )
    app.state.desk = state
    app.state.csrf = csrf
    app.state.auth = auth
    app.state.templates = make_env()
    return app
