"""``newsmon serve [--host H] [--port P]``: the review desk, a local web app to triage,
read, search and label the archive.

Binds 127.0.0.1 by default. Any other address needs the access token, read from the
environment variable that ``ui.token_env`` names (``NEWSMON_UI_TOKEN``): without it the desk
refuses to start (exit 2). The token is never printed or logged.
"""

from __future__ import annotations

import argparse
import logging
import sys

from scheduler.context import Context
from storage.exceptions import ConfigError

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="the review desk: a local web app to triage, read, search and label",
        description="Serve the review desk on http://HOST:PORT/ (default [ui] host and port, "
        "127.0.0.1:8080). Any address but loopback needs the token in the environment "
        "variable named by [ui] token_env (NEWSMON_UI_TOKEN).",
    )
    p.add_argument("--host", help="address to bind (default [ui] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default [ui] port, 8080)")
    p.set_defaults(func=run)


def access_token(ctx: Context, host: str) -> str | None:
    """The token the desk requires, or None on loopback without one; refuses (ConfigError)
    a non-loopback address without a token."""
    from scheduler.desk.security import is_loopback

    ui = ctx.config.ui
    token = (ctx.environ.get(ui.token_env) or "").strip() or None
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"serving on {host} (not loopback) needs an access token: set the environment "
            f"variable {ui.token_env} (named by ui.token_env), or bind 127.0.0.1",
            path=str(ctx.config.path or "<config>"),
            key="ui.token_env",
        )
    if token is not None and len(token) < 16:
        raise ConfigError(
            f"the access token in {ui.token_env} is too short (at least 16 characters)",
            path=str(ctx.config.path or "<config>"),
            key="ui.token_env",
        )
    return token


def run(args: argparse.Namespace, ctx: Context) -> int:
    import uvicorn

    from scheduler.desk.app import DeskState, create_app

    host = args.host or ctx.config.ui.host
    port = ctx.config.ui.port if args.port is None else args.port
    token = access_token(ctx, host)
    app = create_app(DeskState(ctx=ctx, token=token))
    shown = f"[{host}]" if ":" in host else host
    print(
        f"newsmon desk on http://{shown}:{port}/"
        + (" (access token required)" if token else "")
        + " — Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
