"""NewsSpider: discovery (feeds, sitemaps, section pages) and article fetching for all sources.

One spider crawls every selected source in one run, so different sites proceed in parallel
under Scrapy's per-domain limits. Listings (feeds, sitemaps) are fetched with conditional GET;
article URLs already stored, already requested in this run, too old, filtered out or over the
source's budget are never requested. Every decision is counted in ``newsmon/`` stats.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding
from w3lib.url import canonicalize_url

from crawler import stats as st
from crawler.discovery import (
    Discovered,
    DiscoveryError,
    LinkFilter,
    extract_links,
    parse_feed,
    parse_sitemap,
)
from crawler.discovery.autodiscover import page_info
from crawler.discovery.decide import skip_reason
from crawler.failures import over_decompressed_size, over_download_size
from crawler.items import ArticleItem
from crawler.middlewares.known_urls import AlreadyStored
from crawler.middlewares.quiet import RobotsForbidden
from crawler.middlewares.safe_target import UnsafeTargetError
from crawler.spec import CrawlOptions, SourceSpec
from crawler.spiders.known import KnownUrls
from crawler.spiders.listings import META_KEY, ListingProgress, Validators
from crawler.urls import normalize_url

if TYPE_CHECKING:
    from crawler.fleet.worker import FleetState

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 3  # index -> index -> urlset is as deep as real sites go
MAX_SECTIONS_PER_PAGE = 20  # listing links followed from one section page when max_depth > 1


class FetchState(Protocol):
    def get(self, url: str) -> tuple[str | None, str | None]: ...

    def save(
        self, url: str, source: str, etag: str | None, last_modified: str | None, status: int
    ) -> None: ...


class Visits(Protocol):
    def not_stored(self, url: str, source: str, reason: str, status: int | None) -> None: ...

    def flush(self) -> None: ...


# Answers that will be the same next time: remembered, never fetched again. Server errors
# and timeouts are not among them: those pages are retried on the next crawl.
GONE_STATUSES = frozenset({404, 410})


def is_html(content_type: str | None) -> bool:
    """Could this be an article page? (No Content-Type: let extraction decide.)"""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or "html" in media or media.endswith("xml") or not media


def header_charset(content_type: str | None) -> str | None:
    """The encoding named by the ``charset`` parameter of a Content-Type header, resolved by
    w3lib to its Python codec and WHATWG superset ("ISO-8859-1" gives cp1252); None when absent
    or unknown."""
    return http_content_type_encoding(content_type)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _advertised(response: Response) -> str:
    """For a listing that is an HTML page: the feeds it advertises, as a hint."""
    feeds = page_info(response.body, response.url).feeds if is_html_page(response) else []
    if not feeds:
        return ""
    urls = ", ".join(f.url for f in feeds[:3])
    return f" (an HTML page advertising feeds: {urls}; `newsmon sources add URL` picks one)"


def is_html_page(response: Response) -> bool:
    head = response.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _newest_first(entry: Discovered) -> float:
    return -entry.published_at.timestamp() if entry.published_at else 0.0


class NewsSpider(scrapy.Spider):
    """Crawls ``sources``; ``known_urls`` says which normalized URLs are stored already or
    were fetched before without an article (neither is requested again).

    The stages reach :meth:`is_known` and :meth:`not_stored` (and a fleet worker's ``fleet``)
    through the crawl's :class:`crawler.state.CrawlState`, which takes them from the spider
    when Scrapy builds it."""

    name = "newsmon"
    fleet: FleetState | None = None  # a fleet worker's (crawler/fleet/worker.py)

    def __init__(
        self,
        sources: Sequence[SourceSpec],
        options: CrawlOptions,
        known_urls: KnownUrls,
        fetch_state: FetchState,
        now: dt.datetime | None = None,
        visits: Visits | None = None,
        frontier_factory: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.options = options
        self.known = known_urls
        self.visits = visits
        self.fetch_state = fetch_state
        self.now = now or dt.datetime.now(dt.UTC)
        days = options.max_article_age_days
        self.cutoff = self.now - dt.timedelta(days=days) if days > 0 else None
        self.filters = {s.name: LinkFilter(s.allow, s.deny) for s in sources}
        self.budget = {s.name: s.max_articles for s in sources}
        self.requested: set[str] = set()  # normalized article URLs requested in this run
        self.progress = ListingProgress()  # which listings' validators may be saved
        self.no_article: set[str] = set()  # URLs reported to not_stored in this run
        self._counter: st.Counter | None = None
        # Fleet discovery pushes article requests to the frontier (crawler/fleet/).
        self.frontier: Any = frontier_factory(self) if frontier_factory is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_error, signal=signals.item_error)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    @property
    def counter(self) -> st.Counter:
        if self._counter is None:
            self._counter = st.Counter(self.crawler.stats)  # type: ignore[arg-type]
        return self._counter

    def is_known(self, url: str) -> bool:
        """Stored already, or fetched before without an article: never requested."""
        norm = normalize_url(url)
        return norm in self.known.lookup([norm])

    def closed(self, reason: str) -> None:
        """Flush visits; save the validators of the listings that completed (only now:
        a crawl killed before this point saves none, so the next one refetches them)."""
        if self.visits is not None:
            self.visits.flush()
        for v in self.progress.complete():
            self.fetch_state.save(v.url, v.source, v.etag, v.last_modified, v.status)

    # -- how article items ended (signals from the item pipelines) ------------------------

    def item_scraped(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        self.progress.ended(response.meta.get(META_KEY, ()), final=True)

    def item_dropped(
        self, item: Any, response: Response, exception: BaseException, spider: scrapy.Spider
    ) -> None:
        # "No article text" is reported to not_stored first and is final; an extraction
        # that crashed may work next time.
        final = getattr(item, "url", None) in self.no_article
        self.progress.ended(response.meta.get(META_KEY, ()), final=final)

    def item_error(
        self, item: Any, response: Response, spider: scrapy.Spider, failure: Failure
    ) -> None:
        """A pipeline stage raised (not DropItem): an error of the item's source, logged once
        (Scrapy's own message, with the traceback, is at DEBUG: see crawler/logformatter.py)."""
        source = getattr(item, "source", None) or response.meta.get("newsmon_source", "?")
        url = getattr(item, "url", None) or response.url
        self.counter.inc(st.ITEM_FAILED, source)
        self._error(source, f"processing failed for {url}: {failure.value!r}")
        self.progress.ended(response.meta.get(META_KEY, ()), final=False)

    # -- listings ------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for spec in self.sources.values():
            yield self._listing_request(spec, spec.url, spec.kind, depth=0)

    def _listing_request(
        self, spec: SourceSpec, url: str, role: str, depth: int, chain: tuple[str, ...] = ()
    ) -> Request:
        """A request for a listing; ``chain``: the feeds/sitemaps it was found in."""
        headers: dict[str, str] = {}
        meta: dict[str, Any] = {
            "newsmon_source": spec.name,
            "newsmon_role": role,
            "newsmon_depth": depth,
            META_KEY: chain,
        }
        self.progress.started(chain)
        if role in ("feed", "sitemap"):
            etag, last_modified = self.fetch_state.get(url)
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            meta["handle_httpstatus_list"] = [304]
        callback = self.parse_page if role == "page" else self.parse_listing
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            meta=meta,
            dont_filter=depth == 0,
        )

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """A feed or sitemap: schedule its new articles (and child sitemaps)."""
        spec = self.sources[response.meta["newsmon_source"]]
        role: str = response.meta["newsmon_role"]
        depth: int = response.meta["newsmon_depth"]
        # Validators belong to the URL we asked for, even if it redirected: that is the
        # one we look them up by next time.
        listing_url: str = (response.meta.get("redirect_urls") or [response.url])[0]
        chain: tuple[str, ...] = response.meta.get(META_KEY, ())
        if response.status == 304:
            self.counter.inc(st.NOT_MODIFIED, spec.name)
            self.fetch_state.save(listing_url, spec.name, None, None, 304)
            self.progress.ended(chain, final=True)
            return
        try:
            if role == "feed":
                entries = parse_feed(response.body, response.url, _header(response, "Content-Type"))
                children: list[Discovered] = []
            else:
                page = parse_sitemap(response.body, response.url, self.options.max_page_bytes)
                # Sitemaps often list oldest first; the budget should go to the newest.
                entries = sorted(page.entries, key=_newest_first)
                children = page.sitemaps
        except DiscoveryError as exc:
            self._error(spec.name, f"{response.url}: {exc}{_advertised(response)}")
            self.progress.ended(chain, final=False)
            return
        self.counter.inc("listings", spec.name)
        own = (*chain, listing_url)
        # Saved at the end of the crawl, and only if all that this listing led to ended
        # for good (see listings.py).
        self.progress.listed(
            Validators(
                listing_url,
                spec.name,
                _header(response, "ETag"),
                _header(response, "Last-Modified"),
                response.status,
            )
        )
        for child in children:
            if child.older_than(self.cutoff):
                self.counter.inc(st.SKIPPED_OLD, spec.name)
            elif depth + 1 < MAX_SITEMAP_DEPTH:
                yield self._listing_request(spec, child.url, "sitemap", depth + 1, own)
        yield from self._articles(spec, entries, self.filters[spec.name].accepts, own)
        self.progress.ended(chain, final=True)

    def parse_page(self, response: Response) -> Iterator[Request]:
        """A section page: follow article links; at depth < max_depth also listing links."""
        spec = self.sources[response.meta["newsmon_source"]]
        depth: int = response.meta["newsmon_depth"]
        chain: tuple[str, ...] = response.meta.get(META_KEY, ())
        self.counter.inc("listings", spec.name)
        encoding = getattr(response, "encoding", None)
        offsite: list[str] = []
        links = extract_links(response.body, response.url, encoding, offsite)
        flt = self.filters[spec.name]
        articles = [u for u in links if flt.is_article(u)]
        # Every link not taken for an article is counted with its reason (a section link
        # followed at depth < max_depth is counted too: it is not an article).
        not_taken = len(links) - len(articles)
        # With allow patterns, a link they do not match is filtered; without, the heuristic
        # turned it down unless a deny pattern did.
        denied = not_taken if flt.allow else sum(1 for u in links if flt.denied(u))
        for name, count in (
            (st.SKIPPED_OFFSITE, len(offsite)),
            (st.SKIPPED_FILTERED, denied),
            (st.SKIPPED_NOT_ARTICLE, not_taken - denied),
        ):
            if count:
                self.counter.inc(name, spec.name, count)
        yield from self._articles(spec, [Discovered(u) for u in articles], lambda _u: True, chain)
        if depth + 1 < spec.max_depth:
            chosen = set(articles)
            sections = [u for u in links if u not in chosen and not flt.denied(u)]
            for url in sections[:MAX_SECTIONS_PER_PAGE]:
                yield self._listing_request(spec, url, "page", depth + 1, chain)
        self.progress.ended(chain, final=True)

    def _articles(
        self,
        spec: SourceSpec,
        entries: Iterable[Discovered],
        accepts: Any,
        chain: tuple[str, ...],
    ) -> Iterator[Request]:
        name = spec.name
        listed = [(entry, normalize_url(entry.url), bool(accepts(entry.url))) for entry in entries]
        # One batch of indexed lookups for the whole listing.
        known = self.known.lookup(norm for _, norm, ok in listed if ok)
        for entry, norm, ok in listed:
            self.counter.inc(st.DISCOVERED, name)
            reason = skip_reason(
                entry,
                accepted=ok,
                known=known.get(norm),
                requested=norm in self.requested,
                cutoff=self.cutoff,
                budget_left=self.budget[name],
            )
            if reason is not None:
                self.counter.inc(st.SKIPPED_PREFIX + reason, name)
                if reason == "budget":
                    # A 304 next time would hide the entries we did not get to.
                    self.progress.truncated(chain)
            else:
                self.budget[name] -= 1
                self.requested.add(norm)
                self.counter.inc(st.SCHEDULED, name)
                self.progress.started(chain)
                request = Request(
                    norm,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={
                        "newsmon_source": name,
                        "newsmon_role": "article",
                        "newsmon_hint": entry,
                        META_KEY: chain,
                    },
                )
                if self.frontier is None:
                    yield request
                else:
                    self._push(request, name, chain)

    def _push(self, request: Request, source: str, chain: tuple[str, ...]) -> None:
        """Fleet discovery: the request goes to the frontier for a worker. Its listings stay
        incomplete (no validators saved) until a later discovery finds nothing new in them,
        so an article lost with Redis is listed, and pushed, again."""
        try:
            if not self.frontier.push(request):  # type: ignore[union-attr]
                self.counter.inc(st.SKIPPED_PENDING, source)
        except Exception as exc:  # redis errors: the source's error, the crawl goes on
            self._error(source, f"frontier push failed for {request.url}: {exc!r}")
        self.progress.ended(chain, final=False)

    # -- articles ------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        spec = self.sources[response.meta["newsmon_source"]]
        hint: Discovered | None = response.meta.get("newsmon_hint")
        self.counter.inc(st.FETCHED, spec.name)
        content_type = _header(response, "Content-Type")
        if not is_html(content_type):
            self.not_stored(response.url, spec.name, "not_html", response.status)
            self.progress.ended(response.meta.get(META_KEY, ()), final=True)
            return
        yield ArticleItem(
            url=response.url,
            source=spec.name,
            body=response.body,
            http_encoding=header_charset(content_type),
            content_type=content_type,
            fetched_at=dt.datetime.now(dt.UTC),
            source_language=spec.language,
            hint_title=hint.title if hint else None,
            hint_published_at=hint.published_at if hint else None,
        )

    # -- failures ------------------------------------------------------------------------

    def not_stored(self, url: str, source: str, reason: str, status: int | None) -> None:
        """``url`` was fetched and gave no article: count it, remember it (``visits``)."""
        self.counter.inc(st.VISITED_PREFIX + reason, source)
        self.no_article.add(url)
        if self.visits is not None:
            self.visits.not_stored(url, source, reason, status)

    def _error(self, source: str, message: str) -> None:
        logger.warning("%s: %s", source, message)
        self.counter.error(source, message)

    def on_error(self, failure: Failure) -> None:
        """Count and log one failed request; the crawl goes on."""
        request: Request = failure.request  # type: ignore[attr-defined]
        final = self._failed(request, failure.value)
        self.progress.ended(request.meta.get(META_KEY, ()), final=final)

    def _failed(self, request: Request, exc: BaseException | None) -> bool:
        """Count and log why ``request`` failed; True when the outcome is final (the same
        next time), False when it may work next time (5xx, timeouts, broken transfers)."""
        source = request.meta.get("newsmon_source", "?")
        is_article = request.meta.get("newsmon_role") == "article"
        if isinstance(exc, HttpError):
            status = exc.response.status
            self._error(source, f"HTTP {status} for {request.url}")
            if status in GONE_STATUSES and is_article:
                self.not_stored(request.url, source, "not_found", status)
            return status in GONE_STATUSES
        if over_download_size(exc):
            self._error(source, f"too large: {request.url}")
            if is_article:
                self.not_stored(request.url, source, "too_large", None)
            return True
        if isinstance(exc, UnsafeTargetError):
            self._error(source, str(exc))
            return True
        if isinstance(exc, AlreadyStored):
            return True
        if isinstance(exc, RobotsForbidden):
            self.counter.inc(st.SKIPPED_ROBOTS, source)
            if request.meta.get("newsmon_depth") == 0:
                # The configured URL itself is off limits: the source cannot work at all.
                self._error(source, f"robots.txt forbids {request.url}")
            return True
        if isinstance(exc, IgnoreRequest):
            message = str(exc)
            if over_decompressed_size(exc):
                self.counter.inc(st.DECOMPRESSED_TOO_LARGE, source)
                self._error(source, f"too large once decompressed: {request.url}")
                if is_article:
                    self.not_stored(request.url, source, "too_large", None)
            else:
                self.counter.inc(st.SKIPPED_IGNORED, source)
                self._error(source, f"ignored: {request.url}: {message[:200]}")
            return True
        self._error(source, f"{type(exc).__name__}: {exc} ({request.url})")
        return False

    def request_dropped(self, request: Request, spider: scrapy.Spider) -> None:
        """The scheduler dropped ``request`` as a duplicate of one made in this run.

        A redirect back to a URL of its own redirect chain is a redirect loop (the duplicate
        filter cuts it short): an error of its source, logged once. A redirect to a URL that
        another request of this run asked for (a feed's ``/go/story`` leading to an article
        listed too) is a duplicate, counted as ``skipped/seen``: that request fetches it.
        Other duplicates are already handled by the request they duplicate.
        """
        self.progress.ended(request.meta.get(META_KEY, ()), final=True)
        redirects = request.meta.get("redirect_urls")
        if not redirects:
            return
        source = request.meta.get("newsmon_source", "?")
        # The duplicate filter compares canonical URLs (Scrapy's request fingerprint).
        target = canonicalize_url(request.url)
        if not any(canonicalize_url(url) == target for url in redirects):
            self.counter.inc(st.SKIPPED_SEEN, source)
            return
        self.counter.inc(st.REDIRECT_LOOP, source)
        self._error(source, f"redirect loop: {redirects[0]} -> ... -> {request.url}")
