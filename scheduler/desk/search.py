"""Search (``/search``): full text and filters in the URL (bookmarkable), sorted, paged; the
same results exported as CSV (UTF-8 with a BOM, so that Excel shows Cyrillic) or JSONL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from sqlalchemy import Select, select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from scheduler.desk.render import page, snippet, term_pattern
from storage.export import EXPORT_FIELDS, export_row
from storage.models import SourceTotal
from storage.search import SORTS, SearchFilters, search, search_query

FIELDS = (
    "q", "published_from", "published_to", "fetched_from", "fetched_to", "source",
    "language", "relevant", "label", "score_min", "score_max", "sort",
)  # fmt: skip


class BadFilter(ValueError):
    pass


def _date(name: str, value: str, *, end: bool = False) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return moment + dt.timedelta(days=1) if end else moment  # "to" includes that day


def _score(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BadFilter(f"{name}: expected a number from 0 to 1, got {value!r}") from None
    if not 0 <= number <= 1:
        raise BadFilter(f"{name}: expected a number from 0 to 1, got {value!r}")
    return number


def parse_filters(params: dict[str, str]) -> SearchFilters:
    """The form's values (empty ones ignored) as :class:`SearchFilters`."""
    p = {k: v.strip() for k, v in params.items() if v and v.strip()}
    sort = p.get("sort", "match" if p.get("q") else "date")
    if sort not in SORTS:
        raise BadFilter(f"sort: expected one of {', '.join(SORTS)}, got {sort!r}")
    label = p.get("label")
    if label not in (None, "relevant", "not_relevant", "none"):
        raise BadFilter(f"label: expected relevant, not_relevant or none, got {label!r}")
    relevant = {"yes": True, "no": False, None: None}.get(p.get("relevant"), "bad")
    if relevant == "bad":
        raise BadFilter(f"relevant: expected yes or no, got {p.get('relevant')!r}")
    try:
        number = int(p.get("page", "1"))
    except ValueError:
        raise BadFilter(f"page: expected a number, got {p.get('page')!r}") from None
    return SearchFilters(
        q=p.get("q", "")[:500],
        published_from=_date("published_from", p["published_from"])
        if "published_from" in p
        else None,
        published_to=_date("published_to", p["published_to"], end=True)
        if "published_to" in p
        else None,
        fetched_from=_date("fetched_from", p["fetched_from"]) if "fetched_from" in p else None,
        fetched_to=_date("fetched_to", p["fetched_to"], end=True) if "fetched_to" in p else None,
        source=p.get("source"),
        language=p.get("language"),
        relevant=relevant,  # type: ignore[arg-type]
        label=label,
        score_min=_score("score_min", p["score_min"]) if "score_min" in p else None,
        score_max=_score("score_max", p["score_max"]) if "score_max" in p else None,
        sort=sort,
        page=max(1, number),
    )


def _kept(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in FIELDS and v}


async def search_page(request: Request) -> Response:
    state = request.app.state.desk
    kept = _kept(request)
    try:
        filters = parse_filters(dict(request.query_params))
    except BadFilter as exc:
        return page(request, "search.html.jinja", status=400, error=str(exc), form=kept,
                    results=[], sources=[])  # fmt: skip
    with state.sessions() as session:
        result = search(session, filters)
        sources = [r[0] for r in session.execute(_source_names())]
    pattern = term_pattern(filters.words)
    rows = [(a, snippet(a.text, pattern)) for a in result.results]

    def link(**change: object) -> str:
        return "/search?" + urlencode({**kept, **{k: str(v) for k, v in change.items()}})

    return page(
        request,
        "search.html.jinja",
        form=kept,
        results=rows,
        page_number=result.page,
        prev_link=link(page=result.page - 1) if result.page > 1 else None,
        next_link=link(page=result.page + 1) if result.has_more else None,
        csv_link="/search.csv?" + urlencode(kept),
        jsonl_link="/search.jsonl?" + urlencode(kept),
        sources=sources,
        searched=bool(kept),
    )


def _source_names() -> Select[tuple[str]]:
    return select(SourceTotal.source).order_by(SourceTotal.source)


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


def _rows(request: Request, filters: SearchFilters) -> Iterator[dict[str, object]]:
    state = request.app.state.desk
    with state.sessions() as session:
        stmt = search_query(session.get_bind().dialect.name, filters, paged=False)
        for article in session.scalars(stmt.execution_options(yield_per=500)):
            yield export_row(article)


async def export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "jsonl"):
        return Response("export as .csv or .jsonl", status_code=404, media_type="text/plain")
    try:
        filters = parse_filters(dict(request.query_params))
    except BadFilter as exc:
        return Response(str(exc), status_code=400, media_type="text/plain")

    def csv_lines() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS))
        buf.write("\ufeff")
        writer.writeheader()
        for row in _rows(request, filters):
            writer.writerow({k: _cell(v) for k, v in row.items()})
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        yield buf.getvalue()

    def jsonl_lines() -> Iterator[str]:
        for row in _rows(request, filters):
            yield json.dumps(row, ensure_ascii=False) + "\n"

    stamp = request.app.state.desk.clock().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, media = csv_lines(), "text/csv; charset=utf-8"
    else:
        body, media = jsonl_lines(), "application/x-ndjson; charset=utf-8"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="newsmon-search-{stamp}.{fmt}"'},
    )


routes = [
    Route("/search", search_page),
    Route("/search.{fmt:str}", export),
]
