"""The desk's guards (token away from loopback, CSRF, no open redirect), search with its
filters and exports in a real browser, the digest's one-click links, and query plans."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from scheduler.cli import main
from scheduler.desk.tokens import link_url
from storage.engine import make_engine
from storage.inbox import cluster_query, copies_query, inbox_query
from storage.search import SearchFilters, search_query
from tests.desk.conftest import NOW, Desk, Served, free_port, screenshot

TOKEN = "s3cret-desk-token-0123456789"


def test_non_loopback_bind_without_a_token_refuses_to_start(
    desk: Desk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSMON_UI_TOKEN", raising=False)
    code = main(["--config", str(desk.config_path), "serve", "--host", "0.0.0.0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "ui.token_env" in err and "NEWSMON_UI_TOKEN" in err and "newsmon.toml" in err


@pytest.mark.slow
def test_with_a_token_a_request_without_it_is_refused(desk: Desk) -> None:
    port = free_port()
    env = {**os.environ, "NEWSMON_UI_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "--config", str(desk.config_path), "serve",
         "--host", "0.0.0.0", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                r = httpx.get(base + "/", headers={"accept": "text/plain"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 401
        assert httpx.get(base + "/search?q=coup").status_code == 401
        ok = httpx.get(base + "/story/1", headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "Generals plot" in ok.text
        assert httpx.get(base + "/", headers={"authorization": "Bearer wrong"}).status_code == 401
        # The login form sets a cookie: the browser way in.
        with httpx.Client(base_url=base) as client:
            login = client.get("/login")
            csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
            r = client.post("/login", data={"csrf": csrf, "token": TOKEN})
            assert r.status_code == 303
            assert client.get("/").status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert TOKEN not in out + err
    assert "access token required" in err


def test_posts_need_the_csrf_token_and_redirects_stay_local(served: Served, desk: Desk) -> None:
    coup = desk.ids["coup"]
    with httpx.Client(base_url=served.base) as client:
        r = client.post("/label", data={"article_id": coup, "relevant": "1"})
        assert r.status_code == 403 and "CSRF" in r.text
        page = client.get("/").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        r = client.post(
            "/label", data={"article_id": coup, "relevant": "1", "csrf": csrf},
            headers={"origin": "https://evil.example"},
        )  # fmt: skip
        assert r.status_code == 403
        for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
            r = client.post(
                "/label",
                data={"article_id": coup, "relevant": "1", "csrf": csrf, "next": target},
            )
            assert r.status_code == 303 and r.headers["location"] == "/"
        r = client.get(f"/story/{coup}")
        assert "labelled <strong>relevant</strong> by ann" in r.text


@pytest.mark.slow
def test_a_filtered_search_in_the_browser(served: Served, desk: Desk, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.base + "/")
    page.fill("header input[name=q]", "purge")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search?q=purge")
    results = page.locator("li.result")
    expect(results).to_have_count(2)  # the coup story and its syndicated copy
    page.select_option("select[name=source]", "ledger")
    page.fill("input[name=score_min]", "0.9")
    page.select_option("select[name=sort]", "score")
    page.locator("form.filters button").click()
    page.wait_for_url("**/search?**source=ledger**")
    expect(results).to_have_count(1)
    assert "Generals plot" in results.first.inner_text()
    assert "purge" in results.first.locator("mark").all_inner_texts()
    screenshot(page, "search")
    # The URL is the search: opened again elsewhere it gives the same results.
    again = browser.new_page()
    again.goto(page.url)
    expect(again.locator("li.result")).to_have_count(1)
    csv_href = page.locator("p.exports a", has_text="CSV").get_attribute("href")
    body = page.request.get(served.base + csv_href).body()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == [desk.ids["coup"]]
    assert "label" in rows[0] and "labelled_by" in rows[0]
    jsonl = page.request.get(served.base + csv_href.replace(".csv", ".jsonl", 1)).text()
    assert [json.loads(x)["id"] for x in jsonl.splitlines()] == [desk.ids["coup"]]
    # Cyrillic words find the Russian article (a prefix: "кремл" matches "Кремле").
    page.goto(served.base + "/search?q=%D0%BA%D1%80%D0%B5%D0%BC%D0%BB")
    expect(page.locator("li.result")).to_have_count(1)
    page.goto(served.base + "/search?score_min=2")
    assert "score_min" in page.locator("p.error").inner_text()
    again.close()
    page.close()


@pytest.mark.slow
def test_a_digest_link_labels_the_story(served: Served, desk: Desk, browser: Any) -> None:
    url = link_url(served.base, served.state.secret, desk.ids["mutiny"], "x")
    page = browser.new_page()
    page.goto(url)
    page.wait_for_url(f"**/story/{desk.ids['mutiny']}")
    assert "labelled not relevant by ann" in page.locator("section.verdict").inner_text()
    page.goto(url)  # a second click records nothing more
    assert page.locator("section.labels li").count() == 1
    bad = page.goto(url[:-3] + "abc")
    assert bad is not None and bad.status == 400
    page.close()


def _plans(conn: Any, stmt: Any) -> list[str]:
    compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
    return [str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]


def test_the_pages_queries_read_no_whole_table(desk: Desk) -> None:
    import datetime as dt

    engine = make_engine(desk.db_url)
    with engine.connect() as conn:
        queries = {
            "inbox": inbox_query(NOW - dt.timedelta(days=7), 50),
            "copies": copies_query([1, 2]),
            "cluster": cluster_query(1),
            "search": search_query("sqlite", SearchFilters(q="coup", source="ledger")),
            "search by date": search_query("sqlite", SearchFilters(relevant=True, sort="date")),
        }
        for name, stmt in queries.items():
            plan = _plans(conn, stmt)
            # A bare "SCAN articles" reads every row; the FTS5 match is "VIRTUAL TABLE INDEX
            # 0:M", a date-sorted page walks ix_articles_fetched_at until its LIMIT.
            assert "SCAN articles" not in plan, (name, plan)
            assert any("INDEX" in step or "PRIMARY KEY" in step for step in plan), (name, plan)
    engine.dispose()


@pytest.mark.slow
def test_the_digest_carries_links_that_label_in_one_click(
    served: Served, desk: Desk, browser: Any
) -> None:
    import re

    from scheduler.config import DigestOptions
    from scheduler.desk.tokens import review_links
    from scheduler.digest.service import DigestService

    ctx = desk.context()
    service = DigestService(
        ctx.sessions,
        DigestOptions(recipients=("ann@example.org",)),
        clock=lambda: NOW,
        links=review_links(served.base, served.state.secret),
    )
    with ctx.sessions() as session:
        prepared = service.prepare(session, NOW)
    html = prepared.message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "not relevant</a>" in html
    urls = re.findall(r"Not relevant: (\S+)", prepared.text)
    assert len(urls) == len(prepared.content.stories) > 0
    first = prepared.content.stories[0]
    page = browser.new_page()
    page.goto(urls[0])
    page.wait_for_url(f"**/story/{first.article_id}")
    assert "labelled not relevant" in page.locator("section.verdict").inner_text()
    page.close()


def test_without_a_token_only_loopback_names_are_answered(served: Served) -> None:
    """DNS rebinding: a hostile page whose name now points at 127.0.0.1 gets nothing."""
    assert httpx.get(served.base + "/").status_code == 200
    port = served.base.rsplit(":", 1)[1]
    assert httpx.get(served.base + "/", headers={"host": f"localhost:{port}"}).status_code == 200
    r = httpx.get(served.base + "/", headers={"host": f"evil.example:{port}"})
    assert r.status_code == 421 and "Generals" not in r.text


@pytest.mark.postgres
def test_the_desk_on_postgresql(pg_url: str, tmp_path: Any) -> None:
    from tests.desk.conftest import build_desk, serve

    desk = build_desk(tmp_path, url=pg_url)
    with serve(desk) as served, httpx.Client(base_url=served.base) as client:
        inbox = client.get("/").text
        assert inbox.count('class="story"') == 7
        story = client.get(f"/story/{desk.ids['coup']}").text
        assert "Also reported by" in story and "<mark>purge</mark>" in story
        found = client.get("/search", params={"q": "Кремль", "sort": "score"}).text
        assert found.count('class="result"') == 1 and "Ведомости" in found
        csrf = inbox.split('name="csrf" value="')[1].split('"')[0]
        r = client.post(
            "/label", data={"article_id": desk.ids["coup"], "relevant": "0", "csrf": csrf}
        )
        assert r.status_code == 303
        assert client.get("/").text.count('class="story"') == 6
        rows = client.get("/search.jsonl", params={"label": "not_relevant"}).text.splitlines()
        # The story's original and its copy.
        assert [json.loads(x)["id"] for x in rows] == [desk.copy_id, desk.ids["coup"]]
