"""Elements built by lxml's C lookup: the same classes and the same extractions, faster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree, html
from trafilatura.utils import HTML_PARSER, load_html

from crawler.extraction import element_lookup
from crawler.extraction.extract import extract_article

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
    """A sample of real pages (every seventh of the corpus) extracts to the same article."""
    pages = sorted((corpus_dir / "pages").glob("*.html"))[::7]
    bodies = [(p.read_bytes(), f"https://news.test/{p.stem}") for p in pages]
    with_c = [extract_article(body, url) for body, url in bodies]
    request.getfixturevalue("pythons_lookup")
    with_python = [extract_article(body, url) for body, url in bodies]
    assert sum(e is not None for e in with_c) > len(bodies) // 2
    assert with_c == with_python
