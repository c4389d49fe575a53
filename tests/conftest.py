"""Fixtures shared by every test folder: service URLs, the shared corpus path and a browser."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

PROJECT_DIR = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("NEWSMON_CORPUS", PROJECT_DIR.parent / "shared" / "corpus"))
PG_ADMIN_URL = os.environ.get(
    "NEWSMON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus, or skip when it is absent."""
    if not (CORPUS_DIR / "manifest.tsv").exists():
        pytest.skip(f"corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards), or skip."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"newsmon_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'newsmon.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage contract test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsmon.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


CHROMIUM = os.environ.get("NEWSMON_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright, or skip with the reason.

    One per test module, closed after it: Playwright's sync API keeps an event loop running in
    this thread while it is open, so a second ``sync_playwright()`` is refused, and so is every
    ``asyncio.run()`` of a later test that the same test process runs (a session-wide browser
    failed those tests whenever the parallel run gave both to one process)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()
