"""Crawl a local site serving corpus pages with ``newsmon crawl``, then export and recrawl.

The pages are real news pages in many languages and encodings; what the crawl stores must be
what extraction reads from them, each page once, and a second crawl must not fetch them again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.extraction import extract_article
from crawler.extraction.decode import canonical_codec, meta_charset
from tests.corpus.corpus_eval import CorpusPage, load_pages
from tests.corpus.corpus_site import CorpusSite

PROJECT = Path(__file__).resolve().parents[2]
NEWSMON = str(Path(sys.executable).parent / "newsmon")

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def pick_pages(corpus: list[CorpusPage]) -> list[CorpusPage]:
    """Every non-UTF-8 and Cyrillic page, plus the first pages with reference truth."""
    special = [
        p
        for p in corpus
        if canonical_codec(meta_charset(p.body())) not in (None, "utf_8")
        or p.language in ("ru", "uk", "bg")
    ]
    ordinary = [p for p in corpus if p.truth_kind == "reference" and p not in special][:20]
    return special + ordinary


def newsmon(config: Path, *args: str) -> str:
    proc = subprocess.run(
        [NEWSMON, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=config.parent,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_corpus_crawl_stores_each_page_once_and_recrawl_fetches_nothing_stored(
    corpus_dir: Path, tmp_path: Path
) -> None:
    pages = pick_pages(load_pages(corpus_dir))
    with CorpusSite(corpus_dir, page_ids=[p.id for p in pages]) as site:
        config = tmp_path / "newsmon.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / "newsmon.db"}"
[crawl]
user_agent = "newsmon-test/0.1 (+mailto:test@example.org)"
download_delay = 0
autothrottle = false
concurrent_per_domain = 16
max_article_age_days = 0
extract_workers = 2
allow_private_addresses = true
[relevance]
seeds_dir = "{PROJECT / "seeds"}"
model_dir = "{tmp_path / "model"}"
[[sources]]
name = "corpus"
url = "{site.sitemap_url}"
kind = "sitemap"
max_articles = 1000
"""
        )
        newsmon(config, "init")
        newsmon(config, "crawl")
        first = [p for p in site.requests() if p.startswith("/pages/")]
        exported = [
            json.loads(line)
            for line in newsmon(config, "export", "--format", "jsonl").splitlines()
            if line.strip()
        ]
        newsmon(config, "crawl")
        second = [p for p in site.requests() if p.startswith("/pages/")][len(first) :]
        base = site.base_url

    assert sorted(first) == sorted(site.page_paths())  # every page fetched, once
    by_url: dict[str, list[dict[str, Any]]] = {}
    for row in exported:
        by_url.setdefault(row["url"], []).append(row)
    expected = {f"{base}/pages/{p.id}.html": p for p in pages}
    for url, page in expected.items():
        ex = extract_article(page.body(), url)
        if ex is None:
            assert url not in by_url, page.id
            continue
        assert len(by_url.get(url, [])) == 1, f"{page.id} stored {len(by_url.get(url, []))}x"
        row = by_url[url][0]
        # What the crawl stored is what extraction reads: same decoding, same text.
        assert row["text"] == ex.text, page.id
        assert row["title"] == ex.title, page.id
        assert "\ufffd" not in row["text"] or "\ufffd" in page.body().decode(ex.encoding, "replace")
    # A page stored once is never fetched again.
    stored_paths = {url.removeprefix(base) for url in by_url}
    assert not stored_paths & set(second), sorted(stored_paths & set(second))
