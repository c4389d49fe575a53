"""Render a :class:`~scheduler.digest.content.DigestContent` with the Jinja2 template files in
``scheduler/templates`` (``digest.txt.jinja`` and ``digest.html.jinja``).

HTML templates are autoescaped: titles and text come from the web and may carry markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from scheduler.digest.content import DigestContent


@dataclass(frozen=True)
class Rendered:
    """The two bodies of a digest."""

    text: str
    html: str


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.jinja", ".html"))


def _safe_url(url: str) -> str:
    """Only http(s) links are made clickable; anything else (javascript:, data:) is dropped."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def make_environment() -> Environment:
    """The Jinja2 environment over ``scheduler/templates`` (autoescape for HTML templates)."""
    env = Environment(
        loader=PackageLoader("scheduler", "templates"),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = _safe_url
    return env


def render(
    content: DigestContent,
    *,
    timezone: str,
    title: str,
    env: Environment | None = None,
    links: Callable[[int], dict[str, str]] | None = None,
) -> Rendered:
    """Render the text and HTML bodies; dates are shown in ``timezone``. ``links`` (when the
    review desk has a ``ui.base_url``) gives each story its relevant / not relevant / open
    links: article id -> {"r": url, "x": url, "o": url}."""
    env = env or make_environment()
    tz = ZoneInfo(timezone)

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return "date unknown"
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    env.filters["when"] = when
    values = {"d": content, "title": title, "timezone": timezone, "links": links}
    text = env.get_template("digest.txt.jinja").render(values)
    html = env.get_template("digest.html.jinja").render(values)
    return Rendered(text=text, html=html)
