"""The demo site's articles: loaded from the TOML files in ``data/``, dated relative to a clock.

Articles are invented for this project. Each has a ``topic`` label (``on``, ``near`` or
``off``) so tests can check what the relevance model makes of them, and a ``batch``: batch 0
is visible when the site starts, later batches appear one per :meth:`Catalog.publish_more`.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

DATA_FILES = ("on_topic.toml", "near_miss.toml", "off_topic.toml", "russian.toml")
FEED_KINDS = ("rss", "atom", "rdf", "json")
# A tracking-parameter copy of an article's URL, as newsletters and social shares carry it.
TRACKING_QUERY = "utm_source=newsletter&utm_medium=feed&utm_campaign=morning-brief"


@dataclass(frozen=True)
class Article:
    """One article as the site serves it."""

    slug: str
    title: str
    author: str
    section: str
    topic: str  # "on" | "near" | "off"
    summary: str
    body: str
    hours_ago: float
    batch: int = 0
    lang: str = "en"
    encoding: str = "utf-8"
    private: bool = False
    archive_only: bool = False  # old: listed only in the gzipped archive sitemap
    tracking_copy: bool = False  # the JSON feed links it with utm_* parameters
    redirect_link: bool = False  # feeds link it through /go/<slug> (a 301)
    published: datetime = field(default_factory=lambda: datetime.min)

    @property
    def path(self) -> str:
        if self.private:
            return f"/private/{self.slug}.html"
        if self.lang == "ru":
            return f"/ru/{self.slug}.html"
        return f"/articles/{self.slug}.html"

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.strip().split("\n\n") if p.strip()]

    @property
    def words(self) -> int:
        return len(self.body.split())


@dataclass(frozen=True)
class Syndicated:
    """A partner site's copy of an article: other boilerplate, a few words changed."""

    slug: str
    of: str
    partner: str
    replacements: tuple[tuple[str, str], ...]
    hours_ago: float

    @property
    def path(self) -> str:
        return f"/syndicated/{self.slug}.html"

    def rewrite(self, text: str) -> str:
        for old, new in self.replacements:
            text = text.replace(old, new)
        return text


def _read_data() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {"article": [], "syndicated": []}
    base = resources.files("scheduler.demosite.data")
    for name in DATA_FILES:
        doc = tomllib.loads(base.joinpath(name).read_text(encoding="utf-8"))
        for key in merged:
            merged[key].extend(doc.get(key, []))
    return merged


def load_articles(now: datetime) -> tuple[list[Article], list[Syndicated]]:
    """All articles and syndicated copies, each dated ``hours_ago`` before ``now``."""
    data = _read_data()
    articles = []
    for raw in data["article"]:
        art = Article(**raw)
        articles.append(replace(art, published=now - timedelta(hours=art.hours_ago)))
    syndicated = [
        Syndicated(
            slug=raw["slug"],
            of=raw["of"],
            partner=raw["partner"],
            replacements=tuple((a, b) for a, b in raw["replacements"]),
            hours_ago=raw["hours_ago"],
        )
        for raw in data["syndicated"]
    ]
    return articles, syndicated


class Catalog:
    """What is visible now. Thread-safe: the server reads while a test publishes more."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.started = clock().replace(microsecond=0)
        articles, self.syndicated = load_articles(self.started)
        self._lock = threading.Lock()
        self._all = articles
        self._released = 0
        self._visible = [a for a in articles if a.batch == 0]
        self._by_slug = {a.slug: a for a in articles}
        self.max_batch = max((a.batch for a in articles), default=0)

    def visible(self) -> list[Article]:
        """Visible articles, newest first."""
        with self._lock:
            items = list(self._visible)
        return sorted(items, key=lambda a: a.published, reverse=True)

    def get(self, slug: str) -> Article | None:
        """A visible article by slug (held-back articles are not served yet)."""
        with self._lock:
            art = self._by_slug.get(slug)
            return art if art is not None and art in self._visible else None

    def last_modified(self) -> datetime:
        with self._lock:
            return max(a.published for a in self._visible)

    def publish_more(self) -> list[Article]:
        """Release the next held-back batch, dated now (and after everything visible)."""
        with self._lock:
            if self._released >= self.max_batch:
                return []
            self._released += 1
            latest = max(a.published for a in self._visible)
            # Whole seconds and strictly later, so Last-Modified moves on even within a second.
            when = max(self._clock().replace(microsecond=0), latest + timedelta(seconds=1))
            fresh = [replace(a, published=when) for a in self._all if a.batch == self._released]
            for art in fresh:
                self._by_slug[art.slug] = art
            self._visible.extend(fresh)
            return fresh

    def feed_kinds(self, art: Article) -> tuple[str, ...]:
        """Which feeds list an article: one primary feed, every third also in the next one.

        A ``tracking_copy`` article is also in the JSON feed, under a utm_* URL.
        """
        if art.private or art.archive_only:
            return ()
        index = [a.slug for a in self._all].index(art.slug)
        primary = FEED_KINDS[index % len(FEED_KINDS)]
        kinds = [primary]
        if index % 3 == 0:
            kinds.append(FEED_KINDS[(index + 1) % len(FEED_KINDS)])
        if art.tracking_copy and "json" not in kinds:
            kinds.append("json")  # where it is linked with utm_* parameters
        return tuple(kinds)
