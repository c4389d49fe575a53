"""The digest's HTML as a reader sees it: headless Chromium (Playwright driving Debian's
/usr/bin/chromium) at a desktop and a phone width. Screenshots are kept in tests/screenshots/
(not versioned); the checks are what a reader would notice: the headline list comes first, a
headline jumps to its story, nothing runs off the side of a phone screen."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from scheduler.cli import main
from tests.scheduler.digest_support import article, migrated, parts, seed

# Kept to look at (test output, not versioned), beside the desk's pages.
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _digest_html(tmp_path: Path) -> Path:
    config = tmp_path / "newsmon.toml"
    config.write_text(
        '[storage]\nurl = "sqlite:///news.db"\n'
        '[digest]\nsender = "newsmon@example.org"\nrecipients = ["analyst@example.org"]\n'
        'out_dir = "out"\ntopic = "Russian leadership stability"\n',
        encoding="utf-8",
    )
    _, sessions = migrated(f"sqlite:///{tmp_path / 'news.db'}")
    long_word = "Сверхдлинноеслово" * 8
    seed(
        sessions,
        *(
            article(
                f"https://outlet{i}.example/story-{i}",
                title=f"Story {i}: Putin reshuffles the security council {long_word}",
                score=0.5 + i / 100,
                text="Putin met Shoigu in the Kremlin. " * 20,
                site_name=f"Outlet {i}" if i % 2 else None,
            )
            for i in range(12)
        ),
    )
    assert main(["--config", str(config), "digest", "--dry-run"]) == 0
    (eml,) = (tmp_path / "out").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    _, html = parts(msg)
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_digest_reads_at_desktop_and_phone_widths(tmp_path: Path, browser: Any) -> None:
    page_file = _digest_html(tmp_path)
    for name, (width, height) in WIDTHS.items():
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(page_file.as_uri())
        headlines = page.locator("ol.headlines > li")
        assert headlines.count() == 12
        # The headline list is on the first screen, before any story.
        box = headlines.first.bounding_box()
        assert box is not None and box["y"] < height
        first_story = page.locator("li.story").first.bounding_box()
        assert first_story is not None and first_story["y"] > box["y"]
        # Nothing wider than the screen (long words wrap).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: {overflow}px off the side"
        # A headline jumps to its story.
        page.locator("ol.headlines a").nth(7).click()
        assert page.evaluate("location.hash") == "#story-8"
        target = page.locator("#story-8").bounding_box()
        assert target is not None and 0 <= target["y"] < height / 2
        SCREENSHOTS.mkdir(exist_ok=True)
        shot = SCREENSHOTS / f"digest-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        page.close()
