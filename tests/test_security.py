"""Security basics (see SECURITY.md): file permissions, secrets, pinned dependencies, hostile
config values, and private addresses refused even when spelled oddly.

The config tests in tests/scheduler/test_config.py already cover file://, ftp://, loopback and
link-local source URLs; the cases here are the other hostile values.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from scheduler.config import parse_config
from storage.exceptions import ConfigError
from tests.faults import harness

PROJECT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-Pa55-7f1c9e"  # distinctive, so any leak is found by a plain search


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_database_0600_in_a_folder_0700(tmp_path: Path) -> None:
    config = harness.write_config(
        tmp_path, "", database_url=f"sqlite:///{tmp_path / 'private' / 'news.db'}"
    )
    old = os.umask(0o022)  # the usual umask, which would give 0644 / 0755 by default
    try:
        done = harness.newsmon(config, "init")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "private" / "news.db"
    assert _mode(db) == 0o600
    assert _mode(db.parent) == 0o700
    # SQLite's WAL and shared-memory files inherit the database file's permissions.
    for side in db.parent.glob("news.db-*"):
        assert _mode(side) & 0o077 == 0, f"{side.name} is {oct(_mode(side))}"


def _digest_config(tmp_path: Path, port: int) -> Path:
    config = harness.write_config(tmp_path, "")
    text = config.read_text()
    text = text.replace(
        "[relevance]",
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'username = "newsmon"\npassword_env = "NEWSMON_TEST_SMTP_PASSWORD"\ntimeout = 5\n\n'
        '[digest]\nrecipients = ["analyst@example.org"]\nsender = "newsmon@example.org"\n\n'
        "[relevance]",
    )
    config.write_text(text)
    return config


def _leaks(text: str) -> bool:
    """The secret, plainly or as the base64 an SMTP AUTH exchange would carry."""
    b64 = base64.b64encode(f"\0newsmon\0{SECRET}".encode()).decode()
    return SECRET in text or b64 in text or base64.b64encode(SECRET.encode()).decode() in text


def test_smtp_password_from_the_environment_never_reaches_logs_or_the_eml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.smtp import AuthResult

    from tests.scheduler.digest_support import smtp_server

    monkeypatch.setenv("NEWSMON_TEST_SMTP_PASSWORD", SECRET)

    def refuse(*_args: Any, **_kwargs: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    with smtp_server(authenticator=refuse, auth_require_tls=False) as (sink, port):
        config = _digest_config(tmp_path, port)
        assert harness.newsmon(config, "init").returncode == 0
        dry = harness.newsmon(config, "-vv", "digest", "--dry-run", "--out", "eml")
        assert dry.returncode == 0, dry.stderr
        emls = list((tmp_path / "eml").glob("*.eml"))
        assert emls, "the dry run wrote no .eml"
        # A real attempt whose login the server refuses: the error must not echo the secret.
        sent = harness.newsmon(config, "-vv", "digest")
        assert sent.returncode == 5, sent.stderr
        assert not sink.received
    for name, text in [
        ("dry-run output", dry.stdout + dry.stderr),
        ("send output", sent.stdout + sent.stderr),
        *[(p.name, p.read_text(errors="replace")) for p in emls],
    ]:
        assert not _leaks(text), f"the SMTP password appears in {name}"
    assert not _leaks(config.read_text())


def test_every_dependency_is_pinned_exactly() -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps.extend(extra)
    loose = [d for d in deps if not re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[\w,]+\])?==[\w.]+", d)]
    assert deps and not loose, f"not pinned with ==: {loose}"


HOSTILE: list[tuple[str, str, str]] = [
    # (why it matters, config text, key the error must name)
    ("a NaN timeout never fires", "[crawl]\ntimeout = nan\n", "crawl.timeout"),
    ("an infinite timeout hangs the crawl", "[crawl]\ntimeout = inf\n", "crawl.timeout"),
    ("negative retries", "[crawl]\nretries = -1\n", "crawl.retries"),
    ("no concurrency at all", "[crawl]\nconcurrent_requests = 0\n", "crawl.concurrent_requests"),
    (
        "negative per-domain limit",
        "[crawl]\nconcurrent_per_domain = -3\n",
        "crawl.concurrent_per_domain",
    ),
    ("negative politeness delay", "[crawl]\ndownload_delay = -1\n", "crawl.download_delay"),
    (
        "HTTP header injection via the user agent",
        '[crawl]\nuser_agent = "newsmon\\r\\nX-Injected: 1"\n',
        "crawl.user_agent",
    ),
    (
        "mail header injection via the sender",
        '[digest]\nsender = "a@example.org\\r\\nBcc: evil@example.net"\n',
        "digest.sender",
    ),
    (
        "mail header injection via the subject",
        '[digest]\nsubject_prefix = "news\\r\\nBcc: evil@example.net"\n',
        "digest.subject_prefix",
    ),
    (
        "a recipient that is not an address",
        '[digest]\nrecipients = ["analyst@example.org, evil@example.net"]\n',
        "digest.recipients",
    ),
    ("an impossible send time", '[digest]\nsend_time = "25:99"\n', "digest.send_time"),
    (
        "an invalid allow pattern crashes the crawl later",
        "[[sources]]\nname = 'a'\nurl = 'https://x.example/'\nkind = 'feed'\nallow = ['(']\n",
        "sources[0].allow",
    ),
    ("a SMTP port out of range", "[smtp]\nport = 70000\n", "smtp.port"),
    (
        "a password written into the file instead of the environment",
        '[smtp]\npassword = "hunter2"\n',
        "smtp.password",
    ),
]


@pytest.mark.parametrize(("why", "text", "key"), HOSTILE, ids=[h[2] for h in HOSTILE])
def test_hostile_config_values_are_refused_by_key(why: str, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/etc/newsmon/newsmon.toml"))
    assert f"[{key}]" in str(info.value), f"{why}: {info.value}"
    assert "/etc/newsmon/newsmon.toml" in str(info.value)


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1"])
def test_loopback_spelled_as_a_number_is_refused_before_any_fetch(
    tmp_path: Path, host: str
) -> None:
    """http://2130706433/ is 127.0.0.1: without allow_private_addresses the config refuses it
    (exit 2, naming the key and the real address) and nothing connects to the listener."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        sources = f'[[sources]]\nname = "sneaky"\nurl = "http://{host}:{port}/feed.xml"\n'
        config = harness.write_config(tmp_path, sources + 'kind = "feed"\n')
        config.write_text(config.read_text().replace("allow_private_addresses = true", ""))
        run = harness.newsmon(config, "crawl", timeout=120)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert run.returncode == 2, run.stderr[-2000:]
    assert "[sources[0].url]" in run.stderr
    assert f"{host} (127.0.0.1) is a loopback address" in run.stderr
    assert not (tmp_path / "newsmon.db").exists()


@pytest.mark.slow
def test_hostile_html_reaches_the_digest_only_escaped(tmp_path: Path) -> None:
    """A crawled page with <script>, event handlers and a 100 kB attribute: the digest's HTML
    part shows the text, escaped; no tag from the page survives."""
    import email
    import email.policy

    from tests.faults.site import FaultSite

    with FaultSite(slow=1.0) as site:
        (fault,) = [f for f in site.faults if f.name == "hostile_html"]
        sources = (
            f'[[sources]]\nname = "{fault.name}"\nurl = "{site.base_url}{fault.entry}"\n'
            'kind = "feed"\n'
        )
        config = harness.write_config(tmp_path, sources)
        assert harness.newsmon(config, "init").returncode == 0
        run = harness.crawl(config, timeout=180)
        assert run.returncode == 0, run.stderr[-2000:]
    dry = harness.newsmon(config, "digest", "--dry-run", "--out", "eml")
    assert dry.returncode == 0, dry.stderr
    (eml,) = (tmp_path / "eml").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "&lt;script&gt;alert(" in html, "the hostile article is not in the digest"
    lowered = html.lower()
    assert "<script" not in lowered
    assert "onerror=alert" not in lowered.replace("&lt;img src=x onerror=alert", "")
    assert "onclick=" not in lowered and "a" * 1000 not in lowered
