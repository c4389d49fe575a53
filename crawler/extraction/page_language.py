"""The language of the page being extracted, for the parts of trafilatura that read it.

trafilatura is called without ``target_language`` (it would drop every page whose declared
language differs), so the language reaches the two fallbacks that need it (dateparser for dates
written in words, justext's stop words) through this context: :func:`extract_article` sets it
around trafilatura, and the hooks read it with :func:`current`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_hint: ContextVar[Callable[[], str | None] | None] = ContextVar(
    "newsmon_page_language", default=None
)


@contextmanager
def page_language(language: Callable[[], str | None]) -> Iterator[None]:
    """Within this block the page's language is ``language()``: called only when a fallback
    asks for it, at most once."""
    token = _hint.set(functools.cache(language))
    try:
        yield
    finally:
        _hint.reset(token)


def current() -> str | None:
    """The language of the page being extracted (an ISO 639-1 code), or None when unknown or
    outside :func:`page_language`."""
    hint = _hint.get()
    return hint() if hint is not None else None
