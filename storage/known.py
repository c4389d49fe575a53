"""Which of these URLs were stored or fetched before? Indexed lookups, in batches.

The crawler asks this of every discovered URL (normalized with :func:`storage.urlkey.url_key`)
instead of holding every stored URL in memory: the cost of a run then grows with the links it
finds, not with the archive.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.models import UrlKey, VisitedUrl

# Keys per statement: well under SQLite's 32,766 bound parameters, and a listing's size.
BATCH = 500

STORED = "stored"
VISITED = "visited"

_STORED = select(UrlKey.key).where(UrlKey.key.in_(bindparam("keys", expanding=True)))
_VISITED = select(VisitedUrl.url).where(VisitedUrl.url.in_(bindparam("keys", expanding=True)))


def known_keys(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """``{key: STORED | VISITED}`` for the given normalized URLs that are known.

    STORED: an article's URL or canonical URL; VISITED: fetched before without an article
    (``visited_urls``). A key that is both is STORED.
    """
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    conn = session.connection()
    for i in range(0, len(wanted), BATCH):
        chunk = wanted[i : i + BATCH]
        for (key,) in conn.execute(_VISITED, {"keys": chunk}):
            found[key] = VISITED
        for (key,) in conn.execute(_STORED, {"keys": chunk}):
            found[key] = STORED
    return found
