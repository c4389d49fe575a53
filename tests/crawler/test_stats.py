"""Per-source counts come from namespaced stats; the run status from the counts."""

from __future__ import annotations

from crawler import stats as st
from crawler.runner import CrawlSummary, run_status, totals_of
from scheduler.commands.crawl import summary_table
from storage.records import SourceCounts


def test_source_counts_from_stats() -> None:
    stats = st.DictStats()
    c = st.Counter(stats)
    c.inc(st.DISCOVERED, "a", 5)
    c.inc(st.FETCHED, "a", 3)
    c.inc(st.STORED_NEW, "a", 2)
    c.inc(st.STORED_RELEVANT, "a")
    c.inc(st.dedup_key("near"), "a")
    c.inc(st.dedup_key("url"), "a")
    c.inc(st.dedup_key(None), "a")
    c.error("a", "HTTP 500 for http://x.test/e")
    c.inc(st.NOT_MODIFIED, "b")
    assert stats.values["newsmon/fetched"] == 3
    a = st.source_counts(stats.values, "a")
    assert (a.discovered, a.fetched, a.new, a.relevant, a.duplicates, a.errors) == (
        5,
        3,
        2,
        1,
        2,
        1,
    )
    assert a.last_error == "HTTP 500 for http://x.test/e"
    assert st.source_counts(stats.values, "b").not_modified == 1
    assert st.source_counts(stats.values, "missing") == SourceCounts()


def test_run_status() -> None:
    ok = SourceCounts(fetched=3)
    notmod = SourceCounts(not_modified=1)
    dead = SourceCounts(errors=1, last_error="refused")
    assert run_status({"a": ok, "b": notmod}) == "ok"
    assert run_status({"a": ok, "b": dead}) == "partial"
    assert run_status({"a": dead, "b": dead}) == "failed"
    assert run_status({"a": ok}, finished_cleanly=False) == "partial"
    # Article-level errors in a source that worked do not make the run partial.
    assert run_status({"a": SourceCounts(fetched=3, errors=2)}) == "ok"
    # A source whose every fetched article failed (extraction or a later stage) failed.
    broken = SourceCounts(discovered=3, fetched=3, errors=3, failed_articles=3)
    assert broken.failed
    assert run_status({"a": ok, "b": broken}) == "partial"
    assert run_status({"a": broken}) == "failed"
    assert not SourceCounts(discovered=3, fetched=3, new=1, errors=2, failed_articles=2).failed


def test_summary_table() -> None:
    per = {
        "feed-one": SourceCounts(fetched=3, new=2, relevant=1, duplicates=1),
        "dead": SourceCounts(errors=1, last_error="HTTP 500 for http://x.test/"),
    }
    text = summary_table(CrawlSummary(7, "partial", per, totals_of(per), elapsed=1.5))
    lines = text.splitlines()
    assert lines[0].split() == [
        "source",
        "fetched",
        "new",
        "relevant",
        "duplicates",
        "not_modified",
        "errors",
    ]
    assert lines[2].split() == ["feed-one", "3", "2", "1", "1", "0", "0"]
    assert lines[4].split() == ["total", "3", "2", "1", "1", "0", "1"]
    assert "dead: last error: HTTP 500" in text
    assert "run 7: partial" in text
