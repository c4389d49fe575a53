"""trafilatura's metadata without the parts newsmon never stores: categories, tags, license.

``bare_extraction(with_metadata=True)`` searches every page for category and tag links (two
XPath passes over the whole tree) and for a licence link, after the title, author, date and
site name newsmon does keep. newsmon stores none of those three, and they were 13% of
extraction's CPU on the corpus in one process (55.6 -> 48.3 ms a page, process time, three
alternating rounds; the 347 extractions identical; issue 16). :func:`install` replaces the
two functions trafilatura's ``extract_metadata`` calls for them with ones that find nothing,
which is also what they answer on a page without such links.
"""

from __future__ import annotations

import logging
from typing import Any

import trafilatura.metadata

logger = logging.getLogger(__name__)
_HOOKED = ("extract_catstags", "extract_license")


def no_categories_or_tags(metatype: str, tree: Any) -> list[str]:
    """What ``extract_catstags`` answers on a page without category or tag links."""
    return []


def no_license(tree: Any) -> str | None:
    """What ``extract_license`` answers on a page without a licence."""
    return None


def install() -> bool:
    """Skip the unused metadata; False (and a warning) if this trafilatura no longer has
    those functions, in which case it keeps computing them."""
    if not all(callable(getattr(trafilatura.metadata, name, None)) for name in _HOOKED):
        logger.warning("trafilatura.metadata changed; categories, tags and license still read")
        return False
    trafilatura.metadata.extract_catstags = no_categories_or_tags  # type: ignore[assignment]
    trafilatura.metadata.extract_license = no_license  # type: ignore[assignment]
    return True
