"""trafilatura no longer reads the categories, tags and license newsmon never stores."""

from __future__ import annotations

import trafilatura.metadata

from crawler.extraction import unused_metadata
from crawler.extraction.extract import extract_article

PAGE = (
    "<html lang='en'><head><title>Kremlin reshuffle</title>"
    "<meta name='author' content='Jane Roe'>"
    "<meta property='article:published_time' content='2026-11-30T08:00:00+00:00'>"
    "</head><body><article><h1>Kremlin reshuffle</h1>"
    + "<p>The Kremlin replaced two deputy prime ministers on Monday, the biggest change in "
    "the government since the spring, officials said in a statement.</p>"
    * 6
    + "<a rel='category tag' href='/category/politics'>Politics</a>"
    "<a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC BY</a>"
    "</article></body></html>"
)


def test_trafilatura_calls_the_hooks() -> None:
    """If a new trafilatura renamed them, this fails instead of every page quietly paying for
    them again."""
    assert trafilatura.metadata.extract_catstags is unused_metadata.no_categories_or_tags
    assert trafilatura.metadata.extract_license is unused_metadata.no_license


def test_what_newsmon_keeps_is_still_read() -> None:
    extracted = extract_article(PAGE.encode(), "http://news.test/politics/reshuffle")
    assert extracted is not None
    assert extracted.title == "Kremlin reshuffle"
    assert extracted.author == "Jane Roe"
    assert extracted.published_at is not None
    assert extracted.published_at.isoformat().startswith("2026-11-30T08:00")
    assert "deputy prime ministers" in extracted.text
