"""trafilatura's compiled XPath expressions, evaluated without "smart" strings and without
calls into Python for elements that lack the attribute a regular expression tests.

Most of trafilatura's XPath expressions test class and id attributes with EXSLT regular
expressions (``re:test(@class, '...')``). lxml calls back into Python for each test, and by
default hands the callback each attribute as a "smart" string, which carries a Python object
for the element that holds it: for every element of the page, for every test. trafilatura's
compiled expressions all select elements, so the strings only ever reach those tests, which read
their text.

:func:`install` compiles each of them again with ``smart_strings=False`` and puts the new ones
where trafilatura's modules keep them (module names and the lists of expressions). On the corpus
that took extraction from 37.7 to 35.4 CPU ms a page (one process, each page extracted both
ways in turn), with all 347 extractions identical (issue 16). An expression that could select
text or attributes is left as it is, so no caller gets a plain string where it expects one that
knows its element.

Each ``re:test(@a, 'R')`` is also guarded as ``((@a) and re:test(@a, 'R'))``: XPath's ``and``
does not evaluate its right side when the element has no such attribute, where the test would
have searched an empty string. So the guard changes no answer as long as ``R`` cannot match an
empty string, which is checked for each one (one that can is left unguarded). That took
extraction from 36.2 to 32.8 CPU ms a page (same measure, all extractions identical).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from lxml.etree import XPath

logger = logging.getLogger(__name__)

#: The only namespace prefix trafilatura's expressions use (trafilatura/xpaths.py).
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_PREDICATE = re.compile(r"\[[^\[\]]*\]")
_FUNCTION_CALL = re.compile(r"[\w:-]\s*\(")  # text(), node(), string(...); not "(.//a)"
# re:test(@class, 'R') and re:test(@id|@class, 'R', 'i'); XPath 1.0 literals have no escapes.
_RE_TEST = re.compile(
    r"re:test\((@[\w-]+(?:\s*\|\s*@[\w-]+)*)\s*,\s*'([^']*)'\s*(?:,\s*'([^']*)'\s*)?\)"
)


def selects_elements(path: str) -> bool:
    """Whether ``path``'s steps, its predicates and quoted strings set aside, select only
    elements: no ``text()`` or ``node()``, no attribute step, no function whose value could be
    a string (parentheses that only group steps, as in ``(.//article)[1]``, are fine)."""
    skeleton = _QUOTED.sub("", path)
    while (shorter := _PREDICATE.sub("", skeleton)) != skeleton:
        skeleton = shorter
    return "@" not in skeleton and "[" not in skeleton and not _FUNCTION_CALL.search(skeleton)


def guard_regex_tests(path: str) -> str:
    """``path`` with each ``re:test`` of attributes evaluated only where one of them exists,
    unless its regular expression matches an empty string (then the guard would change the
    answer for an element without the attribute)."""

    def guarded(test: re.Match[str]) -> str:
        attributes, pattern, flags = test.group(1), test.group(2), test.group(3) or ""
        # As lxml compiles it (Python's re; the "i" flag is IGNORECASE).
        try:
            compiled = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
        except re.error:  # lxml would fail on it too, when evaluating: left as it is
            return test.group(0)
        if compiled.search("") is not None:
            return test.group(0)
        return f"(({attributes}) and {test.group(0)})"

    return _RE_TEST.sub(guarded, path)


# Each original expression (kept alive, so that no id is reused) and the one made for it.
_made: dict[int, tuple[XPath, XPath]] = {}


def _plain(expr: XPath) -> XPath:
    """``expr`` compiled without smart strings and with its regex tests guarded, once per
    expression (several modules and lists hold the same ones); one made here is returned as
    it is."""
    if any(expr is new for _, new in _made.values()):
        return expr
    if id(expr) not in _made:
        path = guard_regex_tests(expr.path)
        _made[id(expr)] = (expr, XPath(path, namespaces=_NAMESPACES, smart_strings=False))
    return _made[id(expr)][1]


def install() -> int:
    """Recompile the element-selecting expressions of the trafilatura modules imported so
    far (again: nothing new); return how many there are (0, with a warning, if none)."""
    for name, module in list(sys.modules.items()):
        if name != "trafilatura" and not name.startswith("trafilatura."):
            continue
        namespace: dict[str, Any] = vars(module)
        for key, value in list(namespace.items()):
            if isinstance(value, XPath) and selects_elements(value.path):
                namespace[key] = _plain(value)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, XPath) and selects_elements(item.path):
                        value[i] = _plain(item)
    if not _made:
        logger.warning("trafilatura keeps no compiled XPath expressions any more")
    return len(_made)
