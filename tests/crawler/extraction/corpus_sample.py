"""A sample of the corpus's pages, for tests that check a hook of trafilatura's changes no
extraction: the same articles with the hook as without it."""

from __future__ import annotations

from pathlib import Path

from crawler.extraction import Extracted, extract_article


def corpus_sample(corpus_dir: Path, offset: int) -> list[tuple[bytes, str]]:
    """Every seventh corpus page from ``offset`` (each test its own seventh), with a URL."""
    pages = sorted((corpus_dir / "pages").glob("*.html"))[offset::7]
    return [(page.read_bytes(), f"https://news.test/{page.stem}") for page in pages]


def extract_sample(bodies: list[tuple[bytes, str]]) -> list[Extracted | None]:
    """The sample's extractions; most of its pages are articles (else it would prove little)."""
    extracted = [extract_article(body, url) for body, url in bodies]
    assert sum(e is not None for e in extracted) > len(bodies) // 2
    return extracted
