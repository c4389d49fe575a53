"""``newsmon sources``, driven through the CLI against a local site: discovering a site's
feeds from its homepage, testing a source without storing anything, listing, and trading
OPML files with feed readers, all while keeping the config file's comments and keys."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.cli import main
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.e2e.route_site import RouteSite

CONFIG = """# newsmon config for the desk
[storage]
url = "sqlite:///news.db"   # beside this file

[crawl]
allow_private_addresses = true  # the test site is on 127.0.0.1
max_article_age_days = 7
user_agent = "newsmon-test/0.1 (+mailto:test@example.org)"

# Sources below; keep the wire first.
[[sources]]
name = "wire"
url = "https://wire.example/feed.xml"
kind = "feed"
max_articles = 30   # busy feed
deny = ["/sport/"]
"""

HOMEPAGE = """<!doctype html><html><head><title>The Daily Planet - News</title>
<meta property="og:site_name" content="Daily Planet">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
<link rel="alternate" type="application/atom+xml" title="All news" href="/atom.xml">
<link rel="alternate" type="application/feed+json" title="JSON" href="/feed.json">
<link rel="stylesheet" href="/style.css">
</head><body><a href="/news/a-story-with-a-long-slug">story</a></body></html>"""


def _rss(base: str, items: list[tuple[str, int]]) -> str:
    now = dt.datetime.now(dt.UTC)
    body = "".join(
        f"<item><title>{path}</title><link>{base}{path}</link><pubDate>"
        f"{(now - dt.timedelta(days=age)).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        "</pubDate></item>"
        for path, age in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Top</title>"
        f"<link>{base}/</link>{body}</channel></rss>"
    )


def _atom(base: str, count: int) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = "".join(
        f"<entry><title>n{i}</title><link href='{base}/news/story-number-{i}'/>"
        f"<id>{base}/{i}</id><updated>{now}</updated></entry>"
        for i in range(count)
    )
    return (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>All</title>"
        f"<id>{base}/</id><updated>{now}</updated>{entries}</feed>"
    )


@pytest.fixture
def site() -> Iterator[RouteSite]:
    with RouteSite() as s:
        s.pages["/"] = ("text/html; charset=utf-8", HOMEPAGE)
        s.pages["/rss/top.xml"] = (
            "application/rss+xml",
            lambda b: _rss(b, [("/news/fresh-story-one", 1), ("/news/fresh-story-two", 2)]),
        )
        s.pages["/atom.xml"] = ("application/atom+xml", lambda b: _atom(b, 5))
        s.pages["/feed.json"] = ("application/feed+json", "not json at all")
        s.pages["/robots.txt"] = ("text/plain", lambda b: f"User-agent: *\nSitemap: {b}/sm.xml\n")
        s.pages["/sm.xml"] = (
            "application/xml",
            lambda b: (
                "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/"
                f"sitemap/0.9'><url><loc>{b}/news/from-the-sitemap-1</loc></url></urlset>"
            ),
        )
        yield s


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_add_finds_the_feeds_a_homepage_advertises_and_keeps_the_config_intact(
    site: RouteSite, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config), "sources", "add", site.url("/")]) == 0
    out = capsys.readouterr().out
    assert f"found feed {site.url('/rss/top.xml')} 'Top stories' (2 entries" in out
    assert f"found feed {site.url('/atom.xml')} 'All news' (5 entries" in out
    assert f"found feed {site.url('/feed.json')} 'JSON' (error:" in out
    assert f"found sitemap {site.url('/sm.xml')}" in out
    # The feed with the most entries, named after the site.
    assert f"added source 'daily-planet': feed {site.url('/atom.xml')}" in out

    text = config.read_text(encoding="utf-8")
    assert text.startswith(CONFIG)  # every comment, key and blank line as it was
    data = tomllib.loads(text)
    assert data["sources"][0] == {
        "name": "wire",
        "url": "https://wire.example/feed.xml",
        "kind": "feed",
        "max_articles": 30,
        "deny": ["/sport/"],
    }
    assert data["sources"][1] == {
        "name": "daily-planet",
        "url": site.url("/atom.xml"),
        "kind": "feed",
    }

    # A feed URL is taken as it is; the same name again gets a suffix.
    assert main(["--config", str(config), "sources", "add", site.url("/rss/top.xml")]) == 0
    assert main(["--config", str(config), "sources", "list"]) == 0
    listing = capsys.readouterr().out
    assert "wire          feed     https://wire.example/feed.xml" in listing
    assert f"127-0-0-1     feed     {site.url('/rss/top.xml')}" in listing
    assert "3 sources" in listing


def test_add_refuses_a_taken_name_by_key_and_file(
    site: RouteSite, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = config.read_text(encoding="utf-8")
    code = main(["--config", str(config), "sources", "add", site.url("/"), "--name", "wire"])
    assert code == 2
    err = capsys.readouterr().err
    assert "sources" in err and str(config) in err and "'wire' exists already" in err
    assert config.read_text(encoding="utf-8") == before


def test_a_page_without_feeds_or_sitemaps_is_added_as_a_page(
    site: RouteSite, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.pages["/plain"] = ("text/html", "<html><head><title>Plain</title></head></html>")
    del site.pages["/robots.txt"]
    assert main(["--config", str(config), "sources", "add", site.url("/plain"), "--name", "p"]) == 0
    out = capsys.readouterr().out
    assert (
        "no feed or sitemap found" in out and f"added source 'p': page {site.url('/plain')}" in out
    )


def test_sources_test_shows_what_would_be_fetched_and_skipped_and_stores_nothing(
    site: RouteSite, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'news.db'}")
    upgrade(engine)
    engine.dispose()
    site.pages["/mixed.xml"] = (
        "application/rss+xml",
        lambda b: _rss(
            b,
            [
                ("/news/fresh-story-one", 1),
                ("/sport/match-report-today", 1),
                ("/news/ancient-story-here", 30),
                ("/news/fresh-story-two", 2),
                ("/news/fresh-story-three", 3),
            ],
        ),
    )
    with config.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[[sources]]\nname = "mixed"\nurl = "{site.url("/mixed.xml")}"\nkind = "feed"\n'
            'deny = ["/sport/"]\nmax_articles = 2\n'
        )
    site.requests.clear()

    assert main(["--config", str(config), "sources", "test", "mixed"]) == 0

    out = capsys.readouterr().out
    assert "listed: 5" in out
    assert "would fetch 2:" in out
    assert site.url("/news/fresh-story-one") in out
    assert (
        "would skip 3: 1 older than 7 days, 1 beyond max_articles, "
        "1 denied by a pattern (allow/deny)" in out
    )
    assert f"filtered     {site.url('/sport/match-report-today')}" in out
    assert f"old          {site.url('/news/ancient-story-here')}" in out
    assert f"budget       {site.url('/news/fresh-story-three')}" in out
    # Only the listing and robots.txt were fetched; no article.
    assert sorted(site.requests) == ["/mixed.xml", "/robots.txt"]

    # A URL works too (discovered like `sources add`).
    assert main(["--config", str(config), "sources", "test", site.url("/")]) == 0
    assert "would fetch 5:" in capsys.readouterr().out
    # An unknown name is a config error naming the key.
    assert main(["--config", str(config), "sources", "test", "nope"]) == 2


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions from a feed reader</title></head>
  <body>
    <outline text="Russia" title="Russia">
      <outline type="rss" text="Meduza" title="Meduza" xmlUrl="https://meduza.example/rss/all"
               htmlUrl="https://meduza.example/"/>
      <outline type="rss" text="Коммерсантъ" title="Коммерсантъ"
               xmlUrl="https://kommersant.example/RSS/news.xml"/>
    </outline>
    <outline type="rss" text="Wire" title="Wire" xmlUrl="https://wire.example/feed.xml"/>
    <outline type="rss" text="Tech Blog" xmlUrl="https://tech.example/atom"/>
  </body>
</opml>
"""


def test_opml_import_and_export_round_trip(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(OPML, encoding="utf-8")

    assert main(["--config", str(config), "sources", "import", str(opml)]) == 0

    assert "imported 3 sources" in capsys.readouterr().out  # the wire was configured already
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    added = {s["name"]: s for s in data["sources"][1:]}
    assert added == {
        "meduza": {
            "name": "meduza",
            "url": "https://meduza.example/rss/all",
            "kind": "feed",
            "group": "russia",
        },
        "коммерсантъ": {
            "name": "коммерсантъ",
            "url": "https://kommersant.example/RSS/news.xml",
            "kind": "feed",
            "group": "russia",
        },
        "tech-blog": {"name": "tech-blog", "url": "https://tech.example/atom", "kind": "feed"},
    }
    assert config.read_text(encoding="utf-8").startswith(CONFIG)

    out = tmp_path / "out.opml"
    assert (
        main(["--config", str(config), "sources", "export", "--format", "opml", "--out", str(out)])
        == 0
    )
    exported = out.read_text(encoding="utf-8")
    assert '<outline text="russia" title="russia">' in exported
    assert 'xmlUrl="https://kommersant.example/RSS/news.xml"' in exported

    # Importing the export into a fresh config gives the same sources back.
    fresh = tmp_path / "fresh.toml"
    fresh.write_text('[storage]\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    assert main(["--config", str(fresh), "sources", "import", str(out)]) == 0
    again = tomllib.loads(fresh.read_text(encoding="utf-8"))["sources"]
    assert sorted((s["url"], s.get("group", "")) for s in again) == sorted(
        (s["url"], s.get("group", "")) for s in data["sources"]
    )


def test_import_of_a_file_that_is_not_opml_is_a_usage_error(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body>no</body></html>", encoding="utf-8")
    assert main(["--config", str(config), "sources", "import", str(bad)]) == 2
    assert "is not an OPML file" in capsys.readouterr().err
