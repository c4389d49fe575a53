"""justext, trafilatura's second fallback, reads the page's own language's stop words."""

from __future__ import annotations

import pytest
import trafilatura.external
from lxml.html import fromstring

from crawler.extraction import stoplist
from crawler.extraction.extract import extract_article  # noqa: F401 (installs the hook)
from crawler.extraction.page_language import page_language

RUSSIAN = (
    "Кремль заявил, что президент не намерен менять состав правительства до выборов, "
    "хотя в окружении губернаторов и силовиков об этом говорят всё чаще и всё громче."
)


def page(paragraph: str) -> object:
    return fromstring(f"<html><body><div>{f'<p>{paragraph}</p>' * 4}</div></body></html>")


def kept(body: object) -> str:
    return " ".join(body.itertext())  # type: ignore[attr-defined]


@pytest.fixture
def union_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds of the all-language union (27 MB a worker)."""
    calls: list[int] = []
    build = trafilatura.external.jt_stoplist_init

    def counted() -> tuple[str]:
        calls.append(1)
        return build()

    monkeypatch.setattr(trafilatura.external, "JT_STOPLIST", None)
    monkeypatch.setattr(trafilatura.external, "jt_stoplist_init", counted)
    return calls


def test_trafilatura_calls_the_hook() -> None:
    """If a new trafilatura renamed the fallback, this fails instead of every worker quietly
    holding every language's stop words again."""
    assert trafilatura.external.try_justext is stoplist.try_justext_in_page_language


def test_a_russian_page_is_read_with_russian_stop_words(union_calls: list[int]) -> None:
    with page_language(lambda: "ru"):
        body = trafilatura.external.try_justext(page(RUSSIAN), "http://news.test/a", None)
    assert "Кремль заявил" in kept(body)
    assert union_calls == []


def test_a_language_without_a_list_keeps_nothing_without_the_union(
    union_calls: list[int],
) -> None:
    japanese = "クレムリンは大統領が選挙前に内閣の構成を変える意向はないと述べた。" * 3
    with page_language(lambda: "ja"):
        body = trafilatura.external.try_justext(page(japanese), "http://news.test/a", None)
    assert kept(body).strip() == ""
    assert union_calls == []


def test_an_unknown_language_still_gets_every_list(union_calls: list[int]) -> None:
    with page_language(lambda: None):
        body = trafilatura.external.try_justext(page(RUSSIAN), "http://news.test/a", None)
    assert "Кремль заявил" in kept(body)
    assert union_calls == [1]
