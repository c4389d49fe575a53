"""Elements built by lxml's C lookup: the same classes and the same extractions, faster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree, html
from trafilatura.utils import HTML_PARSER, load_html

from crawler.extraction import element_lookup
from tests.crawler.extraction.corpus_sample import corpus_sample, extract_sample

PAGE = (
    "<html><head><title>Reshuffle</title></head><body><!-- a comment -->"
    "<form><input name='q'><select name='s'></select></form>"
    "<article><p>The Kremlin replaced two deputy prime ministers on Monday.</p></article>"
    "</body></html>"
)


@pytest.fixture
def pythons_lookup() -> Iterator[None]:
    """lxml.html's own lookup (a Python call per element) for the test's duration."""
    own = html.HtmlElementClassLookup()
    for parser in (HTML_PARSER, html.html_parser):
        parser.set_element_class_lookup(own)
    yield
    element_lookup.install()


def test_extraction_parses_with_the_c_lookup() -> None:
    """If the hook were lost (a new trafilatura parser), this fails before the cost returns."""
    tree = load_html(PAGE)
    assert tree is not None
    assert all(type(e) is html.HtmlElement for e in tree.iter(etree.Element))
    # Still lxml.html's element class, with its helpers: text_content, drop_tree, classes.
    assert "deputy prime ministers" in tree.text_content()


def test_the_default_parser_keeps_comments_as_html_comments() -> None:
    tree = html.fromstring(PAGE)
    comments = list(tree.iter(etree.Comment))
    assert [type(c) for c in comments] == [html.HtmlComment]
    assert comments[0].text == " a comment "


def test_corpus_extractions_are_identical_with_either_lookup(
    corpus_dir: Path, request: pytest.FixtureRequest
) -> None:
    """A sample of real pages extracts to the same articles."""
    bodies = corpus_sample(corpus_dir, 0)
    with_c = extract_sample(bodies)
    request.getfixturevalue("pythons_lookup")
    assert extract_sample(bodies) == with_c
