"""In a real browser: the sources page (health, new articles, what the last run skipped),
the digests page and a digest as mailed, the model page with training from the desk."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.config import DigestOptions
from scheduler.digest.service import DigestService
from storage import digests, runs
from storage.records import SourceCounts
from tests.desk.conftest import NOW, Desk, Served, screenshot

pytestmark = pytest.mark.slow


def _crawl_and_digest(desk: Desk) -> None:
    ctx = desk.context()
    with ctx.write_sessions.begin() as session:
        for name in ("ledger", "courier"):
            runs.register_source(session, name, f"https://{name}.example/feed", "feed")
        run_id = runs.start_run(session, ["ledger", "courier"], pid=1)
        stats = {
            "newsmon/source/ledger/skipped/old": 4,
            "newsmon/source/ledger/skipped/robots": 2,
            "newsmon/source/courier/visited/no_text": 3,
            "newsmon/source/courier/skipped/filtered": 1,
        }
        runs.finish_run(
            session, run_id, "partial", stats,
            {"ledger": SourceCounts(discovered=9, fetched=3, new=3),
             "courier": SourceCounts(errors=2, last_error="HTTP 503 on feed")},
        )  # fmt: skip
    service = DigestService(
        ctx.sessions, DigestOptions(recipients=("ann@example.org",)), clock=lambda: NOW
    )
    with ctx.write_sessions.begin() as session:
        prepared = service.prepare(session, NOW)
        digests.record_attempt(
            session, key=service.key, recipients=["ann@example.org"],
            message_id="<d1@example.org>", subject=prepared.subject,
            message=prepared.message.as_bytes(), story_count=len(prepared.content.stories),
            items=prepared.content.items, now=NOW,
        )  # fmt: skip


def test_sources_and_digests_pages(served: Served, desk: Desk, browser: Any) -> None:
    _crawl_and_digest(desk)
    page = browser.new_page()
    page.goto(served.base + "/sources")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 2
    courier = rows.filter(has_text="courier").inner_text()
    assert "HTTP 503 on feed" in courier and "3 not article-like" in courier
    ledger = rows.filter(has_text="ledger").inner_text()
    assert "4 too old" in ledger and "2 forbidden by robots.txt" in ledger
    assert "\t3\t3\t" in ledger  # new in 7 and in 30 days
    screenshot(page, "sources")
    page.goto(served.base + "/digests")
    link = page.locator("table.grid a").first
    assert "newsmon" in link.inner_text()
    screenshot(page, "digests")
    link.click()
    page.wait_for_url("**/digests/1")
    assert "Generals plot against the Kremlin" in page.content()
    screenshot(page, "digest-mail")
    page.close()


def test_model_page_trains_with_the_cli_code(served: Served, desk: Desk, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.base + "/model")
    assert "No labels yet" in page.locator("main").inner_text()
    page.locator("button", has_text="Train from seeds").click()
    page.wait_for_url("**/model", timeout=120_000)
    report = page.locator("pre.report").inner_text()
    assert "training data:" in report and "(current)" in report
    assert "Current version:" in page.locator("main").inner_text()
    screenshot(page, "model")
    page.close()


def test_labels_take_effect_in_the_digest(desk: Desk) -> None:
    from storage.labels import add_label

    ctx = desk.context()
    with ctx.write_sessions.begin() as session:
        add_label(session, desk.ids["coup"], False, "ann")
        add_label(session, desk.ids["garden"], True, "ann")
    service = DigestService(
        ctx.sessions, DigestOptions(recipients=("ann@example.org",)), clock=lambda: NOW
    )
    with ctx.sessions() as session:
        stories = {s.article_id for s in service.prepare(session, NOW).content.stories}
    assert desk.ids["coup"] not in stories  # labelled not relevant despite its 0.97
    assert desk.ids["garden"] in stories  # labelled relevant despite its 0.05
