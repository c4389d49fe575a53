"""``newsmon sources test``: what a crawl of one source would fetch now, and what it would
skip and why, without fetching articles or storing anything.

The listing (and, for a sitemap index, its child sitemaps) is fetched; each entry then goes
through the crawl's own decision (crawler.discovery.decide) against the archive, the age
limit, the patterns and the budget, and robots.txt is asked about the URLs left.
"""

from __future__ import annotations

import datetime as dt
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from crawler.discovery import (
    Discovered,
    DiscoveryError,
    LinkFilter,
    extract_links,
    parse_feed,
    parse_sitemap,
)
from crawler.discovery.autodiscover import robots_url
from crawler.discovery.decide import skip_reason
from crawler.spec import CrawlOptions, SourceSpec
from crawler.urls import normalize_url
from scheduler.sources.fetch import FetchError, fetch

MAX_CHILD_SITEMAPS = 20
Lookup = Callable[[Iterable[str]], dict[str, str]]


@dataclass
class Preview:
    source: SourceSpec
    listed: int = 0
    fetch: list[Discovered] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reason, url)
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for reason, _ in self.skipped:
            out[reason] = out.get(reason, 0) + 1
        return out


def _listing(spec: SourceSpec, options: CrawlOptions, preview: Preview) -> list[Discovered]:
    """The article entries of the source's listing (sitemap indexes followed one level)."""
    fetched = fetch(spec.url, options)
    if spec.kind == "feed":
        try:
            return parse_feed(fetched.body, fetched.url, fetched.content_type)
        except DiscoveryError as exc:
            raise FetchError(f"{spec.url}: unreadable feed: {exc}") from None
    if spec.kind == "sitemap":
        try:
            page = parse_sitemap(fetched.body, fetched.url, options.max_page_bytes)
        except DiscoveryError as exc:
            raise FetchError(f"{spec.url}: unreadable sitemap: {exc}") from None
        entries = list(page.entries)
        for child in page.sitemaps[:MAX_CHILD_SITEMAPS]:
            try:
                sub = fetch(child.url, options)
                entries += parse_sitemap(sub.body, sub.url, options.max_page_bytes).entries
            except (FetchError, DiscoveryError) as exc:
                preview.errors.append(f"{child.url}: {exc}")
        entries.sort(key=lambda e: -e.published_at.timestamp() if e.published_at else 0.0)
        return entries
    offsite: list[str] = []
    links = extract_links(fetched.body, fetched.url, None, offsite)
    flt = LinkFilter(spec.allow, spec.deny)
    preview.skipped += [("offsite", u) for u in offsite]
    articles = []
    for url in links:
        if flt.is_article(url):
            articles.append(Discovered(url))
        elif spec.allow or flt.denied(url):
            preview.skipped.append(("filtered", url))
        else:
            preview.skipped.append(("not_article", url))
    return articles


def preview_source(
    spec: SourceSpec,
    options: CrawlOptions,
    *,
    known: Lookup | None = None,
    now: dt.datetime | None = None,
) -> Preview:
    """What a crawl of ``spec`` would do now (raises FetchError when the listing fails)."""
    preview = Preview(spec)
    entries = _listing(spec, options, preview)
    preview.listed = len(entries)
    now = now or dt.datetime.now(dt.UTC)
    days = options.max_article_age_days
    cutoff = now - dt.timedelta(days=days) if days > 0 else None
    flt = LinkFilter(spec.allow, spec.deny)
    accepts = (lambda _u: True) if spec.kind == "page" else flt.accepts
    norms = [normalize_url(e.url) for e in entries]
    found = known(n for n, e in zip(norms, entries, strict=True) if accepts(e.url)) if known else {}
    robots = _robots(spec, options)
    requested: set[str] = set()
    budget = spec.max_articles
    for entry, norm in zip(entries, norms, strict=True):
        reason = skip_reason(
            entry,
            accepted=bool(accepts(entry.url)),
            known=found.get(norm),
            requested=norm in requested,
            cutoff=cutoff,
            budget_left=budget,
        )
        if (
            reason is None
            and robots is not None
            and not robots.can_fetch(options.user_agent, entry.url)
        ):
            reason = "robots"
        if reason is None:
            budget -= 1
            requested.add(norm)
            preview.fetch.append(entry)
        else:
            preview.skipped.append((reason, entry.url))
    return preview


def _robots(spec: SourceSpec, options: CrawlOptions) -> urllib.robotparser.RobotFileParser | None:
    if not options.obey_robots:
        return None
    url = robots_url(spec.url)
    parser = urllib.robotparser.RobotFileParser(url)
    try:
        parser.parse(fetch(url, options).body.decode("utf-8", "replace").splitlines())
    except FetchError:
        return None  # no robots.txt: everything is allowed
    return parser
