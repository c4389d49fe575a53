"""HTML elements built without a call into Python for each one.

lxml.html's parsers pick each element's class with ``HtmlElementClassLookup``, a lookup written
in Python: lxml calls it whenever it makes a Python object for an element, which trafilatura's
XPath passes, tree copies and ancestor walks do about 4,600 times a page on the corpus
(1.6 million calls for 347 pages). The only classes it gives besides ``HtmlElement`` are those
of form controls (``InputElement``, ``SelectElement``...), whose form helpers neither
trafilatura nor its fallbacks use.

:func:`install` gives the parsers trafilatura and its fallbacks parse with lxml's own
``ElementDefaultClassLookup``, in C, with the same classes for elements, comments, processing
instructions and entities. On the corpus that took extraction from 42.2 to 39.7 CPU ms a page
(one process, each page extracted both ways in turn, twice), with all 347 extractions identical
(issue 16). It runs in the extraction workers (and wherever ``crawler.extraction.extract`` is
imported), never in the crawl process.
"""

from __future__ import annotations

from lxml import etree, html
from trafilatura import utils as trafilatura_utils

_LOOKUP = etree.ElementDefaultClassLookup(
    element=html.HtmlElement,
    comment=html.HtmlComment,
    pi=html.HtmlProcessingInstruction,
    entity=html.HtmlEntity,
)


def install() -> None:
    """Give trafilatura's parser and lxml.html's default one the C lookup."""
    for parser in (trafilatura_utils.HTML_PARSER, html.html_parser):
        parser.set_element_class_lookup(_LOOKUP)
