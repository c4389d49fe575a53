"""Pay the extraction code's one-time costs (imports, lazily built parsers) up front."""

from __future__ import annotations

from justext.core import define_stoplist
from trafilatura import external

from crawler.extraction.dateparse import news_date_parser
from crawler.extraction.extract import extract_article

_WARM_PAGE = (
    b"<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
    + b"<p>This paragraph only loads the extraction code and its data once per worker.</p>" * 8
    + b"</article></body></html>"
)


def warm() -> None:
    """Import trafilatura, run it once, and build the date parser's locales."""
    extract_article(_WARM_PAGE, "http://localhost/warm-up")
    # A string no parser understands makes dateparser load and compile each of its locales.
    news_date_parser().get_date_data("warm 12 up 2016")
    # trafilatura's justext fallback (pages whose main extraction finds little text) merges
    # every language's stoplist into one set of ~150,000 words on its first use: about 25 MB
    # and 0.2 s, built here once instead of in every worker.
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
