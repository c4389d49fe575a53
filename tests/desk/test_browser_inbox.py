"""In a real browser: label five stories with keys only, undo one, and find the labels in
`newsmon export`; read a story with its cluster; a hostile article stays text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from scheduler.cli import main
from tests.desk.conftest import HOSTILE_TITLE, Desk, Served, build_desk, screenshot, serve

pytestmark = pytest.mark.slow


def test_label_five_stories_with_keys_only(
    served: Served, desk: Desk, browser: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    page = browser.new_page()
    page.goto(served.base + "/")
    rows = page.locator("li.story")
    assert rows.count() == 7  # the relevant originals; the copy and the garden piece are not
    screenshot(page, "inbox")
    first_title = rows.nth(0).locator(".title").inner_text()
    assert first_title.startswith("Generals plot")
    # r, x, j (skip one), r, r, x: five labels, no page load between them.
    marker = page.evaluate("() => { window.__same_page = true; return 1; }")
    assert marker == 1
    for key in ["r", "x", "j", "r", "r", "x"]:
        before = rows.count()
        page.keyboard.press(key)
        if key != "j":
            expect(rows).to_have_count(before - 1)
    assert rows.count() == 2
    assert page.evaluate("() => window.__same_page") is True
    # u withdraws the last label: that story comes back.
    page.keyboard.press("u")
    expect(rows).to_have_count(3)
    assert "withdrawn" in page.locator("#status").inner_text()
    page.keyboard.press("x")
    expect(rows).to_have_count(2)
    page.close()

    assert main(["--config", str(desk.config_path), "export", "--format", "jsonl"]) == 0
    rows_out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    labelled = {r["id"]: r for r in rows_out if r["label"] is not None}
    assert len(labelled) == 6  # five stories, and the copy of the first follows its original
    assert labelled[desk.copy_id]["label"] is True
    assert {r["labelled_by"] for r in labelled.values()} == {"ann"}
    assert labelled[desk.ids["coup"]]["label"] is True
    assert labelled[desk.ids["succession"]]["label"] is False
    assert labelled[desk.ids["succession"]]["relevant"] is False  # the label is its relevance
    assert labelled[desk.ids["succession"]]["relevance_score"] == 0.91  # the score stays
    assert main(["--config", str(desk.config_path), "export", "--relevant-only"]) == 0
    relevant = {json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()}
    assert desk.ids["succession"] not in relevant and desk.ids["coup"] in relevant


def test_read_a_story_with_its_cluster(served: Served, desk: Desk, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.base + "/")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/story/{desk.ids['coup']}")
    assert page.locator("h1").inner_text() == "Generals plot against the Kremlin, officials say"
    meta = page.locator("p.meta").inner_text()
    assert "The Ledger" in meta and "A. Writer" in meta and "language en" in meta
    marks = page.locator("section.text mark").all_inner_texts()
    assert "coup" in marks and "purge" in marks
    assert "coup" in page.locator("p.concepts").inner_text()
    body = page.locator("section.verdict").inner_text()
    assert "001_seed" not in body and "кремль_stem" not in body  # no seed files, no stems
    cluster = page.locator("section.cluster").inner_text()
    assert "Also reported by" in cluster and "Courier Daily" in cluster
    screenshot(page, "story")
    page.locator("form.label-buttons button.no").click()
    page.wait_for_url(f"**/story/{desk.ids['coup']}")
    assert "labelled not relevant by ann" in page.locator("section.verdict").inner_text()
    page.close()


def test_a_hostile_article_stays_text(served: Served, desk: Desk, browser: Any) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(served.base + f"/story/{desk.ids['hostile']}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.title().startswith("<script>")  # shown as text, never run
    assert page.locator("a.original").get_attribute("href") == "#"
    assert "<script>alert" in page.locator("section.text").inner_text()
    page.goto(served.base + "/")
    assert HOSTILE_TITLE in page.locator("li.story").all_inner_texts()[-1]
    assert dialogs == []
    csp = page.request.get(served.base + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    page.close()


def test_without_a_configured_reviewer_the_desk_asks_once(tmp_path: Any, browser: Any) -> None:
    desk = build_desk(tmp_path, reviewer=None)
    with serve(desk) as served:
        page = browser.new_page()
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept("zoe")

        page.on("dialog", answer)
        page.goto(served.base + "/")
        rows = page.locator("li.story")
        before = rows.count()
        page.keyboard.press("r")
        expect(rows).to_have_count(before - 1)
        page.keyboard.press("x")
        expect(rows).to_have_count(before - 2)
        assert len(asked) == 1 and "name" in asked[0]
        page.goto(served.base + f"/story/{desk.ids['coup']}")
        assert "labelled relevant by zoe" in page.locator("section.verdict").inner_text()
        page.close()


def test_the_next_stories_come_in_without_a_page_load(tmp_path: Any, browser: Any) -> None:
    desk = build_desk(tmp_path)
    with serve(desk, inbox_size=3) as served:
        page = browser.new_page()
        page.goto(served.base + "/")
        page.evaluate("() => { window.__same_page = true; }")
        rows = page.locator("li.story")
        assert rows.count() == 3
        seen = set(rows.all_inner_texts())
        for _ in range(5):
            first = rows.first.get_attribute("data-id")
            page.keyboard.press("x")
            expect(page.locator(f"li.story[data-id='{first}']")).to_have_count(0)
            expect(rows).not_to_have_count(0)
            seen |= set(rows.all_inner_texts())
        assert page.evaluate("() => window.__same_page") is True
        assert len(seen) >= 7  # every relevant story came up, three at a time
        page.close()


def test_the_pages_work_without_javascript(served: Served, desk: Desk, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served.base + "/")
    rows = page.locator("li.story")
    assert rows.count() == 7
    rows.first.locator("button.yes").click()
    page.wait_for_load_state()
    assert rows.count() == 6
    page.fill("header input[name=q]", "mutiny")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search?q=mutiny")
    page.locator("li.result a.title").first.click()
    page.wait_for_url(f"**/story/{desk.ids['mutiny']}")
    page.locator("form.label-buttons button.no").click()
    page.wait_for_url(f"**/story/{desk.ids['mutiny']}")
    assert "labelled not relevant by ann" in page.locator("section.verdict").inner_text()
    context.close()


def test_o_opens_the_original(served: Served, desk: Desk, browser: Any) -> None:
    context = browser.new_context()
    # The original is answered by the test itself: nothing leaves the machine.
    context.route(
        "https://ledger.example/**", lambda route: route.fulfill(body="the original page")
    )
    page = context.new_page()
    page.goto(served.base + "/")
    with context.expect_page() as opened:
        page.keyboard.press("o")
    original = opened.value
    original.wait_for_load_state()
    assert original.url == "https://ledger.example/coup"
    assert "the original page" in original.content()
    context.close()
