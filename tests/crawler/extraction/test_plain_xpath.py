"""trafilatura's XPath expressions without smart strings: the same articles, cheaper."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trafilatura.main_extractor
import trafilatura.settings
import trafilatura.xpaths
from lxml import html
from lxml.etree import XPath

from crawler.extraction import plain_xpath
from tests.crawler.extraction.corpus_sample import corpus_sample, extract_sample


@pytest.mark.parametrize(
    ("path", "elements"),
    [
        (".//aside|.//footer", True),
        ("(.//article)[1]", True),
        (".//*[re:test(@class, 'comment[s-]')][not(.//h1)]", True),
        (".//div[contains(@class, 'a[b')]|.//*[local-name()='x']", True),
        (".//a/@href", False),
        (".//p//text()", False),
        (".//node()", False),
        ("string(.//title)", False),
    ],
)
def test_which_expressions_select_only_elements(path: str, elements: bool) -> None:
    assert plain_xpath.selects_elements(path) is elements


def test_trafilatura_evaluates_the_recompiled_expressions() -> None:
    """If a new trafilatura kept its expressions elsewhere, this fails before the cost returns."""
    made = {id(new) for _, new in plain_xpath._made.values()}
    assert len(made) >= 40
    assert id(trafilatura.settings.BASIC_CLEAN_XPATH) in made
    assert all(id(x) in made for x in trafilatura.xpaths.OVERALL_DISCARD_XPATH)
    # The lists are shared by the modules that import them, so one replacement serves all.
    assert trafilatura.main_extractor.BODY_XPATH is trafilatura.xpaths.BODY_XPATH
    assert plain_xpath.install() == len(plain_xpath._made)  # again: nothing new


@pytest.fixture
def original_expressions() -> Iterator[None]:
    """trafilatura's own compiled expressions (smart strings) for the test's duration."""
    originals = {id(new): old for old, new in plain_xpath._made.values()}
    for name, module in list(sys.modules.items()):
        if not name.startswith("trafilatura"):
            continue
        namespace: dict[str, Any] = vars(module)
        for key, value in list(namespace.items()):
            if isinstance(value, XPath) and id(value) in originals:
                namespace[key] = originals[id(value)]
            elif isinstance(value, list):
                value[:] = [originals.get(id(v), v) for v in value]
    yield
    plain_xpath.install()


def test_corpus_extractions_are_identical_with_either(
    corpus_dir: Path, request: pytest.FixtureRequest
) -> None:
    bodies = corpus_sample(corpus_dir, 3)
    plain = extract_sample(bodies)
    request.getfixturevalue("original_expressions")
    made = {id(new) for _, new in plain_xpath._made.values()}
    assert id(trafilatura.settings.BASIC_CLEAN_XPATH) not in made  # the original is back
    assert extract_sample(bodies) == plain


@pytest.mark.parametrize(
    ("path", "guarded"),
    [
        (
            ".//*[re:test(@class, 'comment')]",
            ".//*[((@class) and re:test(@class, 'comment'))]",
        ),
        (
            ".//*[re:test(@id|@class, '^reply-', 'i')]",
            ".//*[((@id|@class) and re:test(@id|@class, '^reply-', 'i'))]",
        ),
        # A pattern that matches an empty string is true without the attribute: no guard.
        (".//*[re:test(@class, 'x?')]", ".//*[re:test(@class, 'x?')]"),
        (".//*[re:test(@class, '(')]", ".//*[re:test(@class, '(')]"),  # not a pattern
    ],
)
def test_regex_tests_are_guarded_where_that_changes_nothing(path: str, guarded: str) -> None:
    assert plain_xpath.guard_regex_tests(path) == guarded


@pytest.mark.parametrize(
    "path",
    [
        ".//*[re:test(@class, 'ad|promo')]",
        ".//*[not(re:test(@class, 'ad|promo'))]",
        ".//*[re:test(@id|@class, '^ad', 'i')]",
        ".//*[re:test(@class, '^$|ad')]",
    ],
)
def test_a_guarded_expression_selects_what_the_original_does(path: str) -> None:
    page = html.fromstring(
        "<div><p>no attribute</p><p class=''>empty class</p><p class='promo'>promo</p>"
        "<p id='Ad1' class='x'>id first</p><p class='x' id='ad2'>class first</p></div>"
    )
    original = XPath(path, namespaces={"re": "http://exslt.org/regular-expressions"})
    guarded = XPath(
        plain_xpath.guard_regex_tests(path),
        namespaces={"re": "http://exslt.org/regular-expressions"},
        smart_strings=False,
    )
    assert [e.text for e in guarded(page)] == [e.text for e in original(page)]
