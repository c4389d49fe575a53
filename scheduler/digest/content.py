"""What a digest says: stories grouped by cluster and ranked, crawl counts, source health.

Built from the database by :func:`select_content`; rendered by :mod:`scheduler.digest.render`.
Plain frozen dataclasses, so templates and tests read them without a session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from crawler.matching.names import names_in
from storage.digests import (
    CrawlTotals,
    SourceHealth,
    crawl_totals,
    first_sent_at,
    last_sent,
    source_health,
    undelivered_clusters,
)
from storage.models import Article

# The first digest for a recipient list reaches back this far (later ones: since the last
# delivered digest, however long ago). Stops a new list from receiving months of backlog.
FIRST_DIGEST_LOOKBACK = dt.timedelta(days=7)
# How far before the last delivered digest relevant articles are still looked for.
CATCH_UP_SLACK = dt.timedelta(days=2)
EXCERPT_SENTENCES = 3
EXCERPT_MAX_CHARS = 500
# End punctuation, closing quotes/brackets, whitespace; a boundary only when the next
# sentence starts like one (capital letter, digit or opening quote) - not "?» — he said".
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”)\]]*(?=\s)")
_SENTENCE_START = "\"'«“„(["
_LINE_END = re.compile(r"[.!?…:;]+[\"'»”)\]]*$")
_HEADING_MAX_WORDS = 25


@dataclass(frozen=True)
class Mention:
    """Another outlet's copy of a story ("also reported by")."""

    source: str
    title: str | None
    url: str
    published_at: dt.datetime | None


@dataclass(frozen=True)
class Story:
    """One story cluster, shown through its lead article."""

    article_id: int
    cluster_id: int
    title: str
    source: str  # the publication: the site's own name, else its host
    url: str
    published_at: dt.datetime | None
    score: float
    concepts: tuple[str, ...]  # the topic's concepts found, in words ("succession", "purge")
    names: tuple[str, ...]  # people, bodies and places of the topic named in it
    excerpt: str
    also: tuple[Mention, ...] = ()
    watch: tuple[str, ...] = ()  # watch rules it matched (always in the digest)

    @property
    def reason(self) -> str:
        """Why it is here, in words: ``about succession, purge; names: Putin, Шойгу``."""
        parts = []
        if self.watch:
            parts.append("watch-list: " + ", ".join(self.watch))
        if self.concepts:
            parts.append("about " + ", ".join(self.concepts))
        if self.names:
            parts.append("names: " + ", ".join(self.names))
        return "; ".join(parts)


@dataclass(frozen=True)
class DigestContent:
    """Everything one digest shows, plus the articles it will mark delivered."""

    generated_at: dt.datetime
    since: dt.datetime | None
    stories: tuple[Story, ...]
    more: tuple[Story, ...]  # beyond max_stories: listed by title and link only
    totals: CrawlTotals
    health: tuple[SourceHealth, ...]
    items: tuple[tuple[int, int | None], ...] = field(default=())  # (article_id, cluster_id)

    @property
    def story_count(self) -> int:
        return len(self.stories) + len(self.more)

    @property
    def empty(self) -> bool:
        return self.story_count == 0


def excerpt(text: str, sentences: int = EXCERPT_SENTENCES, limit: int = EXCERPT_MAX_CHARS) -> str:
    """The first few sentences of ``text``, cut at a word boundary near ``limit`` characters.

    Lines before the first one that ends a sentence (the headline repeated at the top of the
    text, a kicker, a standfirst without a full stop) are left out: joined to the first
    sentence they would read as one ("...corridors of power With no designated heir...").
    """
    lines = [line for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if not _heading(line)), 0)
    flat = " ".join(" ".join(lines[start:]).split())
    out, found = flat, 0
    for match in _SENTENCE_END.finditer(flat):
        nxt = flat[match.end() + 1 : match.end() + 2]
        if nxt and (nxt.isupper() or nxt.isdigit() or nxt in _SENTENCE_START):
            found += 1
            if found == sentences:
                out = flat[: match.end()]
                break
    if len(out) > limit:
        cut = out[:limit].rsplit(" ", 1)[0]
        out = cut.rstrip(",;:—-") + " …"
    return out


def _heading(line: str) -> bool:
    """A short line that ends no sentence: a headline, kicker or standfirst."""
    return len(line.split()) <= _HEADING_MAX_WORDS and not _LINE_END.search(line.rstrip())


def publication(site_name: str | None, url: str) -> str:
    """The publication's own name, else the host of its URL without ``www.``."""
    name = (site_name or "").strip()
    if name:
        return name
    return (urlsplit(url).hostname or url).removeprefix("www.")


def _concepts(why: dict[str, object]) -> tuple[str, ...]:
    concepts = why.get("concepts")
    if isinstance(concepts, dict):
        return tuple(str(c) for c in concepts)[:4]
    return ()


def _evidence(why: dict[str, object]) -> float:
    concepts = why.get("concepts")
    if isinstance(concepts, dict):
        return sum(float(v) for v in concepts.values() if isinstance(v, int | float))
    return 0.0


def _story(members: Sequence[Article]) -> tuple[Story, float]:
    """The story and its topic evidence (a tie-breaker of the ranking)."""
    originals = [a for a in members if a.duplicate_of is None]
    lead = originals[0] if originals else max(members, key=lambda a: a.relevance_score or 0.0)
    why = lead.why or {}
    title = (lead.title or "").strip() or "(untitled)"
    story = Story(
        article_id=lead.id,
        cluster_id=lead.cluster_id if lead.cluster_id is not None else lead.id,
        title=title,
        source=publication(lead.site_name, lead.url),
        url=lead.url,
        published_at=lead.published_at,
        score=max(a.relevance_score or 0.0 for a in members),
        concepts=_concepts(why),
        names=tuple(names_in(title, lead.text)),
        excerpt=excerpt(lead.text),
        also=tuple(
            Mention(publication(a.site_name, a.url), a.title, a.url, a.published_at)
            for a in members
            if a is not lead
        ),
        watch=tuple(str(w) for w in why.get("watch") or ()),
    )
    return story, _evidence(why)


def _rank_key(ranked: tuple[Story, float]) -> tuple[int, float, int, float, float, int]:
    """Watch-list matches first; then score, outlets reporting it, topic evidence, recency;
    the article id last, so no two stories ever tie."""
    story, evidence = ranked
    published = story.published_at.timestamp() if story.published_at else 0.0
    return (
        -len(story.watch),
        -round(story.score, 6),
        -len(story.also),
        -evidence,
        -published,
        story.article_id,
    )


def select_content(
    session: Session, *, key: str, now: dt.datetime, max_stories: int
) -> DigestContent:
    """Undelivered relevant stories for the recipient list ``key``, grouped and ranked.

    The window starts at the last delivered digest (so downtime is caught up); the first
    digest of a list reaches back :data:`FIRST_DIGEST_LOOKBACK`.
    """
    previous = last_sent(session, key)
    first = first_sent_at(session, key)
    floor = (first if first is not None else now) - FIRST_DIGEST_LOOKBACK
    since = previous.created_at if previous is not None else floor
    # Relevant articles are looked for from a little before the last delivered digest (an
    # article fetched just before it may have been stored just after), not from the first
    # digest ever: the digest's cost follows the news since then, not the archive's age.
    window = floor if previous is None else max(floor, previous.created_at - CATCH_UP_SLACK)
    clusters: dict[int, list[Article]] = {}
    for art in undelivered_clusters(session, key, since=window, until=now):
        cid = art.cluster_id if art.cluster_id is not None else art.id
        clusters.setdefault(cid, []).append(art)
    stories = [s for s, _ in sorted((_story(m) for m in clusters.values()), key=_rank_key)]
    items = tuple(
        (a.id, a.cluster_id if a.cluster_id is not None else a.id)
        for members in clusters.values()
        for a in members
    )
    return DigestContent(
        generated_at=now,
        since=since,
        stories=tuple(stories[:max_stories]),
        more=tuple(stories[max_stories:]),
        totals=crawl_totals(session, since=since, until=now),
        health=tuple(source_health(session, since=since, until=now)),
        items=items,
    )
