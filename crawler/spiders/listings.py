"""Which feeds and sitemaps are complete, so that their validators may be saved.

A listing's ETag / Last-Modified make the next crawl get a 304 and skip everything it lists.
They may only be saved once every request the listing produced (its articles, and for a
sitemap index its child sitemaps) has ended for good: stored, already known, or failed in a
way that will not change (404/410, no text, too large, robots.txt). A transient failure
(5xx, timeout), a listing cut short by ``max_articles``, or a crawl that never finishes
(killed) leaves the listing incomplete: its validators are not saved, so the next crawl
fetches it again (200) and known-URL checks skip what was already stored.

Requests carry the chain of listings they came from (meta ``newsmon_listings``), so a
failure under a child sitemap also keeps its index incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

META_KEY = "newsmon_listings"


@dataclass(frozen=True)
class Validators:
    """What a 200 answer to a listing said, to be saved if the listing completes."""

    url: str
    source: str
    etag: str | None
    last_modified: str | None
    status: int


class ListingProgress:
    """Counts the open requests of each listing; tells which listings completed."""

    def __init__(self) -> None:
        self.parsed: dict[str, Validators] = {}
        self.open: dict[str, int] = {}
        self.incomplete: set[str] = set()

    def listed(self, validators: Validators) -> None:
        """A listing answered 200 and was parsed."""
        self.parsed[validators.url] = validators

    def started(self, chain: Iterable[str]) -> None:
        """A request was made on behalf of every listing in ``chain``."""
        for url in chain:
            self.open[url] = self.open.get(url, 0) + 1

    def ended(self, chain: Iterable[str], *, final: bool) -> None:
        """A request of ``chain`` ended; ``final``: its outcome will not change next time."""
        for url in chain:
            self.open[url] = self.open.get(url, 0) - 1
            if not final:
                self.incomplete.add(url)

    def truncated(self, chain: Iterable[str]) -> None:
        """Entries of ``chain`` were left unrequested (budget): next crawl must see them."""
        self.incomplete.update(chain)

    def complete(self) -> Iterator[Validators]:
        """Parsed listings whose requests all ended for good."""
        for url, validators in self.parsed.items():
            if url not in self.incomplete and self.open.get(url, 0) <= 0:
                yield validators
