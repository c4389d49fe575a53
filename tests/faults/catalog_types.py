"""The fault table's types: one Fault per source, and what the site serves (SiteMap)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.faults import content as c
from tests.faults import responses as r

HUGE_BYTES = 50 * 1024 * 1024
# Long enough that a crawler ignoring Retry-After cannot meet it by chance (its retries of
# other faults take 2-4 s), short enough to keep the run quick.
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Fault:
    """One row of the fault table.

    ``entry`` is the source URL path and ``kind`` the source kind. ``counted`` says the
    crawl must count this fault in its stats (an error, a refusal, an empty extraction)
    and log it: a fetch that cannot succeed or a page that holds no article.
    """

    name: str
    kind: str
    what: str
    counted: bool = False
    good: tuple[c.GoodArticle, ...] = ()
    max_articles: int = 100

    @property
    def prefix(self) -> str:
        return f"/f/{self.name}/"

    @property
    def entry(self) -> str:
        return self.prefix + ("sitemap.xml" if self.kind == "sitemap" else "feed.xml")


@dataclass
class SiteMap:
    """What the site serves: routes by (host, path) or path, and the fault table."""

    faults: list[Fault] = field(default_factory=list)
    routes: dict[str, r.Handler] = field(default_factory=dict)

    @property
    def good(self) -> list[c.GoodArticle]:
        return [g for f in self.faults for g in f.good]
