"""HTML pages of the demo site: articles, the syndicated copy, section and static pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

from scheduler.demosite.content import Article, Syndicated

SITE_NAME = "The Northgate Ledger"


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _human(dt: datetime) -> str:
    return dt.strftime("%d %B %Y, %H:%M UTC")


class PageRenderer:
    """Renders the site's HTML through the Jinja2 templates shipped in ``templates/``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("scheduler.demosite", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _render(self, name: str, **values: Any) -> str:
        values.setdefault("site_name", SITE_NAME)
        values.setdefault("lang", "en")
        values.setdefault("charset", "utf-8")
        values.setdefault("http_equiv", False)
        values.setdefault("year", 2026)
        return self._env.get_template(name).render(**values)

    def article(self, art: Article, related: list[Article]) -> bytes:
        """The article page, encoded in the article's own charset (windows-1251, KOI8-R...)."""
        html = self._render(
            "article.html.jinja",
            a=art,
            url=self.base_url + art.path,
            published=_iso(art.published),
            published_human=_human(art.published),
            paragraphs=art.paragraphs,
            related=related,
            related_heading="Читайте также" if art.lang == "ru" else "More on this story",
            author_slug=art.author.lower().replace(" ", "-"),
            lang=art.lang,
            charset=art.encoding,
            # Pages in legacy charsets declare it the old way, as such sites still do.
            http_equiv=art.encoding != "utf-8",
        )
        return html.encode(art.encoding, errors="xmlcharrefreplace")

    def syndicated(self, syn: Syndicated, art: Article) -> bytes:
        """A partner's copy: different boilerplate and canonical URL, a few words changed."""
        html = self._render(
            "syndicated.html.jinja",
            a=art,
            title=syn.rewrite(art.title),
            partner=syn.partner,
            url=self.base_url + syn.path,
            published=_iso(art.published),
            published_human=_human(art.published),
            paragraphs=[syn.rewrite(p) for p in art.paragraphs],
        )
        return html.encode("utf-8")

    def listing(
        self,
        heading: str,
        path: str,
        items: list[Article],
        extra_links: list[tuple[str, str]] | None = None,
    ) -> bytes:
        """A section (or home) page: teasers linking to articles, plus navigation links."""
        html = self._render(
            "listing.html.jinja",
            heading=heading,
            url=self.base_url + path,
            items=items,
            extra_links=extra_links or [],
        )
        return html.encode("utf-8")

    def static(self, heading: str, text: str) -> bytes:
        return self._render("static.html.jinja", heading=heading, text=text).encode("utf-8")
