"""The HTML digest as a reader sees it: rendered by a real headless Chromium.

A hostile title must show up as text, its script must not run, and the stories must appear
in rank order. Skips when Debian's chromium is not installed.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.scheduler.digest_support import article, migrated, parts, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = '<script>document.title="PWNED";document.body.innerHTML="PWNED"</script>Coup rumours'

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _chromium(*args: str, profile: Path) -> str:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)
    return done.stdout


def assert_inert(dom: str) -> None:
    """The DOM after Chromium ran the page: the script stayed text, the stories are there."""
    head, body = dom.split("<body", 1)
    assert "<title>PWNED</title>" not in head  # document.title was not changed
    assert "<script>" not in body  # escaped, never parsed as an element
    assert "&lt;script&gt;" in body
    assert body.index("Coup rumours") < body.index("Governor of Kursk arrested")


def test_hostile_title_is_inert_in_a_real_browser(tmp_path: Path) -> None:
    config = tmp_path / "newsmon.toml"
    config.write_text(
        '[storage]\nurl = "sqlite:///news.db"\n'
        '[digest]\nsender = "newsmon@example.org"\nrecipients = ["analyst@example.org"]\n'
        'out_dir = "out"\n',
        encoding="utf-8",
    )
    _, sessions = migrated(f"sqlite:///{tmp_path / 'news.db'}")
    seed(
        sessions,
        article("https://a.example/1", title=HOSTILE, score=0.95),
        article("https://b.example/2", title="Governor of Kursk arrested", score=0.7),
    )
    assert main(["--config", str(config), "digest", "--dry-run"]) == 0
    (eml,) = (tmp_path / "out").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    _, html = parts(msg)
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")

    assert_inert(_chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile"))

    # The check must be able to fail: the same page with the script unescaped is caught.
    bad = tmp_path / "bad.html"
    bad.write_text(
        html.replace("&lt;script&gt;", "<script>")
        .replace("&lt;/script&gt;", "</script>")
        .replace("&#34;", '"')
        .replace("&quot;", '"'),
        encoding="utf-8",
    )
    with pytest.raises(AssertionError):
        assert_inert(_chromium("--dump-dom", bad.as_uri(), profile=tmp_path / "profile"))

    shot = tmp_path / "digest.png"
    _chromium(
        f"--screenshot={shot}", "--window-size=900,1200", page.as_uri(), profile=tmp_path / "p"
    )
    assert shot.exists() and shot.stat().st_size > 5_000
