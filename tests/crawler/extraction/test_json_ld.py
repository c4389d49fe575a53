"""JSON-LD metadata: trafilatura's answers, without its quadratic search of large blocks."""

from __future__ import annotations

import json

import pytest
import trafilatura.json_metadata
import trafilatura.metadata
from hypothesis import given
from hypothesis import strategies as st

from crawler.extraction import json_ld
from crawler.extraction.extract import extract_article

PARAGRAPHS = (
    "<p>The Kremlin replaced two deputy prime ministers on Monday, the biggest change in the "
    "government since the spring, officials said in a statement.</p>" * 6
)


def page(block: str) -> bytes:
    return (
        "<html lang='en'><head><title>Kremlin reshuffle</title>"
        f"<script type='application/ld+json'>{block}</script></head>"
        f"<body><article><h1>Kremlin reshuffle</h1>{PARAGRAPHS}</article></body></html>"
    ).encode()


def long_read(paragraphs: int) -> str:
    """An article's valid JSON-LD whose body quotes speech with \\u0022 escapes: the escapes
    trafilatura's normalization turns into quotes that break the JSON."""
    body = " ".join(
        f"The minister said \\u0022no comment\\u0022 at {n:05d}, and left."
        for n in range(paragraphs)
    )
    return (
        '{"@context":"https://schema.org","@type":"NewsArticle","headline":"Kremlin reshuffle",'
        f'"author":{{"@type":"Person","name":"Jane Roe"}},"articleBody":"{body}"}}'
    )


@pytest.fixture
def crude_searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the blocks given to trafilatura's regular-expression fallback."""
    lengths: list[int] = []
    crude = json_ld.extract_json_parse_error

    def recorded(text: str, metadata: object) -> object:
        lengths.append(len(text))
        return crude(text, metadata)  # type: ignore[arg-type]

    monkeypatch.setattr(json_ld, "extract_json_parse_error", recorded)
    # trafilatura's own reading calls it by this name: without the hook, it is recorded too.
    monkeypatch.setattr(trafilatura.metadata, "extract_json_parse_error", recorded)
    return lengths


def test_trafilatura_calls_the_hook() -> None:
    """If a new trafilatura renamed it, this fails instead of large blocks quietly costing
    seconds again."""
    assert trafilatura.metadata.extract_meta_json is json_ld.extract_meta_json


def test_a_large_valid_block_is_read_as_json(crude_searches: list[int]) -> None:
    block = long_read(2_000)
    assert len(block) > json_ld.CRUDE_SEARCH_CHARS
    with pytest.raises(json.JSONDecodeError):  # what trafilatura's own reading runs into
        json.loads(trafilatura.json_metadata.normalize_json(block), strict=False)
    extracted = extract_article(page(block), "http://news.test/live")
    assert extracted is not None and extracted.author == "Jane Roe"
    assert crude_searches == []


def test_a_small_broken_block_gets_trafilaturas_own_fallback(crude_searches: list[int]) -> None:
    extracted = extract_article(page(long_read(3)), "http://news.test/live")
    assert extracted is not None and extracted.author == "Jane Roe"
    assert len(crude_searches) == 1


def test_a_large_invalid_block_is_searched_only_at_its_start(crude_searches: list[int]) -> None:
    block = long_read(2_000).replace('"headline"', "headline")  # not JSON at all now
    extracted = extract_article(page(block), "http://news.test/live")
    assert extracted is not None and extracted.author == "Jane Roe"
    assert crude_searches == [json_ld.CRUDE_SEARCH_CHARS]


def test_a_valid_block_is_read_as_trafilatura_reads_it(crude_searches: list[int]) -> None:
    block = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "author": {"@type": "Person", "name": "Jane Roe"},
            "publisher": {"@type": "Organization", "name": "Daily Test"},
        }
    )
    extracted = extract_article(page(block), "http://news.test/politics/reshuffle")
    assert extracted is not None
    assert (extracted.author, extracted.site_name) == ("Jane Roe", "Daily Test")
    assert crude_searches == []


_PIECES = ["\\", "u", "d83d", "de00", "D800", "0022", "n", "t", "r", " ", "a", "Я", "&amp;"]
_PIECES += ["&quot;", "<b>", "</b>", "\ud83d", "\ude00", "\n", '"']


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_normalize_json_answers_as_trafilaturas(text: str) -> None:
    """Escapes, surrogates (paired, lone, escaped or raw), entities and tags: the same text."""
    assert json_ld.normalize_json(text) == trafilatura.json_metadata.normalize_json(text)
