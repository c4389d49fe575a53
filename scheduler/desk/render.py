"""Templates (autoescaped files), and the few helpers they use: dates, safe links, the
passages of a text that matched a list of terms."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).with_name("templates")


def when(value: dt.datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def safe_url(value: str | None) -> str:
    """An http(s) URL as it is, anything else (``javascript:``, ``data:``) as ``#``."""
    if value and urlsplit(value.strip()).scheme.lower() in ("http", "https"):
        return value.strip()
    return "#"


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({t.strip() for t in terms if t and len(t.strip()) > 1}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> Markup:
    """``text`` escaped, with every match of ``pattern`` in ``<mark>``."""
    if pattern is None:
        return Markup(escape(text))
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def snippet(text: str, pattern: re.Pattern[str] | None, width: int = 240) -> Markup:
    """A short passage around the first match (or the text's start), highlighted."""
    flat = " ".join(text.split())
    m = pattern.search(flat) if pattern else None
    start = max(0, m.start() - width // 3) if m else 0
    piece = flat[start : start + width]
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(flat) else ""
    return Markup(escape(prefix)) + highlight(piece, pattern) + Markup(escape(suffix))


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "jinja"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["safe_url"] = safe_url
    return env


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``templates/name`` with what every page needs (CSRF token, search box)."""
    env: Environment = request.app.state.templates
    state = request.app.state.desk
    html = env.get_template(name).render(
        request=request,
        csrf=request.app.state.csrf.token,
        q=request.query_params.get("q", ""),
        reviewer=state.reviewer_for(request),
        **context,
    )
    return HTMLResponse(html, status_code=status)
