"""What to crawl for a URL: the URL itself when it is a feed or sitemap, else the best of the
feeds the page advertises and the sitemaps robots.txt names, else the page itself."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.discovery import DiscoveryError, parse_feed, parse_sitemap
from crawler.discovery.autodiscover import (
    Candidate,
    page_info,
    robots_url,
    sitemaps_in_robots,
)
from crawler.spec import CrawlOptions
from scheduler.sources.fetch import Fetched, FetchError, fetch


@dataclass(frozen=True)
class Probe:
    """A candidate listing, fetched: how many entries it has, its newest date, or its error."""

    candidate: Candidate
    entries: int = 0
    newest: dt.datetime | None = None
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None and self.entries > 0


@dataclass(frozen=True)
class Discovery:
    url: str
    kind: str
    name: str  # a suggested source name
    site_name: str | None
    probes: list[Probe] = field(default_factory=list)


def listing_entries(fetched: Fetched, options: CrawlOptions) -> tuple[str, int, dt.datetime | None]:
    """``(kind, entries, newest)`` when the body is a feed or sitemap; DiscoveryError if not."""
    try:
        items = parse_feed(fetched.body, fetched.url, fetched.content_type)
        kind = "feed"
    except DiscoveryError:
        page = parse_sitemap(fetched.body, fetched.url, options.max_page_bytes)
        items = page.entries + page.sitemaps
        kind = "sitemap"
    dates = [i.published_at for i in items if i.published_at]
    return kind, len(items), max(dates) if dates else None


def _probe(candidate: Candidate, options: CrawlOptions) -> Probe:
    try:
        kind, entries, newest = listing_entries(fetch(candidate.url, options), options)
    except (FetchError, DiscoveryError) as exc:
        return Probe(candidate, error=str(exc))
    if kind != candidate.kind:
        candidate = Candidate(candidate.url, kind, candidate.found_in, candidate.title)
    return Probe(candidate, entries, newest)


def slug(text: str) -> str:
    """A source name from a site name or host: ``Daily Planet`` -> ``daily-planet``."""
    words = re.findall(r"\w+", text.lower())
    return "-".join(words)[:60] or "source"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or url).removeprefix("www.")


def discover(url: str, options: CrawlOptions) -> Discovery:
    """Fetch ``url`` and decide what to crawl (raises FetchError when it cannot be fetched)."""
    fetched = fetch(url, options)
    try:
        kind, entries, newest = listing_entries(fetched, options)
        if entries:
            probe = Probe(Candidate(url, kind, url), entries, newest)
            return Discovery(url, kind, slug(_host(url)), None, [probe])
    except DiscoveryError:
        pass
    info = page_info(fetched.body, fetched.url)
    candidates = list(info.feeds)
    robots = robots_url(fetched.url)
    try:
        text = fetch(robots, options).body.decode("utf-8", "replace")
        candidates += sitemaps_in_robots(text, robots)
    except FetchError:
        pass
    probes = [_probe(c, options) for c in candidates]
    name = slug(info.site_name or _host(url))
    usable = [p for p in probes if p.usable]
    feeds = [p for p in usable if p.candidate.kind == "feed"]
    # A feed is small and fresh; a sitemap when the site has no feed. Most entries wins;
    # on a tie, the one advertised first.
    best = max(feeds or usable, key=lambda p: p.entries, default=None)
    if best is None:
        return Discovery(url, "page", name, info.site_name, probes)
    return Discovery(best.candidate.url, best.candidate.kind, name, info.site_name, probes)
