"""The story page (``/story/ID``): clean text with the matched passages highlighted, the
score explained in words, the cluster ("also reported by"), labels, and "use as a seed"."""

from __future__ import annotations

import contextlib
import functools
import io
import re
from argparse import Namespace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from scheduler.desk.render import highlight, page, term_pattern
from scheduler.desk.security import post_guarded
from storage.inbox import publication, story


@functools.cache
def _lexicon_patterns() -> tuple[re.Pattern[str], ...]:
    from crawler.relevance.lexicon import bundled_lexicon

    lex = bundled_lexicon()
    return (lex.leader, lex.country, *(c.pattern for c in lex.concepts))


def explanation(why: dict[str, Any] | None, text: str) -> tuple[str, list[str], list[str]]:
    """(summary, concepts in words, the lexicon's phrases found verbatim in the text). The
    text model's terms (stems, common words such as "him") and seed file names are left
    out: they mean nothing to a reader."""
    why = why or {}
    concepts = [str(c) for c in (why.get("concepts") or {})][:8]
    lowered = text.lower()
    terms = [
        str(t)
        for t in (why.get("terms") or [])
        if str(t).lower() in lowered and any(p.search(str(t)) for p in _lexicon_patterns())
    ]
    return str(why.get("summary") or ""), concepts, terms


async def story_page(request: Request) -> Response:
    state = request.app.state.desk
    article_id = request.path_params["article_id"]
    with state.sessions() as session:
        found = story(session, article_id)
    if found is None:
        return page(request, "error.html.jinja", status=404, message=f"no article {article_id}")
    a = found.article
    summary, concepts, terms = explanation(a.why, f"{a.title or ''}\n{a.text}")
    pattern = term_pattern(terms)
    paragraphs = [highlight(p, pattern) for p in a.text.split("\n") if p.strip()]
    return page(
        request,
        "story.html.jinja",
        a=a,
        title=highlight((a.title or "").strip() or "(untitled)", pattern),
        publication=publication(a.site_name, a.url),
        paragraphs=paragraphs,
        summary=summary,
        concepts=concepts,
        terms=terms,
        cluster=found.cluster,
        first_seen=found.first_seen,
        labels=found.labels,
        threshold=state.ctx.config.relevance.threshold,
        seeded=request.query_params.get("seeded"),
    )


async def use_as_seed(request: Request) -> Response:
    """Copy the article's text into the seeds folder: the code of ``newsmon seeds add``."""
    from scheduler.commands import seeds

    state = request.app.state.desk
    article_id = request.path_params["article_id"]
    out = io.StringIO()

    def add() -> int:
        with contextlib.redirect_stdout(out):
            return seeds.run_add(Namespace(source=str(article_id)), state.ctx)

    try:
        await run_in_threadpool(add)
    except Exception as exc:  # a usage error (no text, no article) shown to the reviewer
        return PlainTextResponse(f"could not add the seed: {exc}", status_code=400)
    return RedirectResponse(f"/story/{article_id}?seeded=1", status_code=303)


routes = [
    Route("/story/{article_id:int}", story_page),
    Route("/story/{article_id:int}/seed", post_guarded(use_as_seed), methods=["POST"]),
]
