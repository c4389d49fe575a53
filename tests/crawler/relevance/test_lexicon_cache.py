"""A model's lexicon patterns are compiled once per process, and once per crawl in the
extraction forkserver for the bundled lexicon, not once per worker."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from crawler.relevance.lexicon import Lexicon, bundled_lexicon
from storage.exceptions import ModelError


def test_the_same_lexicon_is_compiled_once() -> None:
    bundled = bundled_lexicon()
    again = Lexicon.from_data(copy.deepcopy(bundled.data))
    assert again.leader is bundled.leader
    pairs = zip(again.concepts, bundled.concepts, strict=True)
    assert all(a.pattern is b.pattern for a, b in pairs)
    assert again.leader.search("vladimir putin said") is not None


def test_another_lexicon_gets_its_own_patterns() -> None:
    data = copy.deepcopy(bundled_lexicon().data)
    data["anchors"]["leader"] = ["medvedev"]
    other = Lexicon.from_data(data)
    assert other.leader is not bundled_lexicon().leader
    assert other.leader.search("medvedev said") and not other.leader.search("putin said")


def test_a_broken_lexicon_is_still_a_model_error() -> None:
    data = copy.deepcopy(bundled_lexicon().data)
    data["anchors"]["leader"] = [["not", "a", "phrase"]]
    with pytest.raises(ModelError, match="invalid topic lexicon"):
        Lexicon.from_data(data)


def test_the_forkserver_preload_compiles_the_bundled_lexicon() -> None:
    """What the forkserver imports leaves the bundled lexicon's patterns in the cache its
    workers inherit (a fresh interpreter: this process's cache is warm already)."""
    probe = (
        "import crawler.relevance.preload\n"
        "from crawler.relevance import lexicon\n"
        "before = lexicon._compiled.cache_info()\n"
        "lexicon.bundled_lexicon()\n"
        "after = lexicon._compiled.cache_info()\n"
        "print(before.currsize, after.misses - before.misses)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    compiled, compiled_again = map(int, out.stdout.split())
    assert compiled > 30 and compiled_again == 0
