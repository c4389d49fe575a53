"""The demo site's feeds: RSS 2.0, Atom 1.0, RDF/RSS 1.0 and JSON Feed 1.1.

Each renderer takes the entries as ``(article, absolute link)`` pairs so the caller decides
which articles a feed lists and under which URL (a redirect, a tracking-parameter copy...).
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from scheduler.demosite.content import Article
from scheduler.demosite.pages import SITE_NAME

Entry = tuple[Article, str]


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _x(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def rss(base_url: str, entries: list[Entry], updated: datetime) -> bytes:
    items = "".join(
        f"<item><title>{_x(a.title)}</title><link>{_x(link)}</link>"
        f'<guid isPermaLink="false">{_x(base_url + a.path)}</guid>'
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
        f"<dc:creator>{_x(a.author)}</dc:creator><category>{_x(a.section)}</category>"
        f"<description>{_x(a.summary)}</description></item>\n"
        for a, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>'
        f"<title>{SITE_NAME}: Politics and World</title><link>{base_url}/</link>"
        f'<atom:link href="{base_url}/feeds/rss.xml" rel="self" type="application/rss+xml"/>'
        f"<description>Latest stories</description><language>en</language>"
        f"<lastBuildDate>{format_datetime(updated, usegmt=True)}</lastBuildDate>\n"
        f"{items}</channel>\n</rss>\n"
    ).encode()


def atom(base_url: str, entries: list[Entry], updated: datetime) -> bytes:
    items = "".join(
        f"<entry><title>{_x(a.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{_x(link)}"/>'
        f"<id>{_x(base_url + a.path)}</id><published>{_iso(a.published)}</published>"
        f"<updated>{_iso(a.published)}</updated><author><name>{_x(a.author)}</name></author>"
        f"<summary>{_x(a.summary)}</summary></entry>\n"
        for a, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{SITE_NAME}: Analysis</title><id>{base_url}/feeds/atom.xml</id>"
        f'<link rel="self" href="{base_url}/feeds/atom.xml"/>'
        f'<link rel="alternate" href="{base_url}/"/><updated>{_iso(updated)}</updated>\n'
        f"{items}</feed>\n"
    ).encode()


def rdf(base_url: str, entries: list[Entry], updated: datetime) -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{_x(link)}"/>' for _, link in entries)
    items = "".join(
        f'<item rdf:about="{_x(link)}"><title>{_x(a.title)}</title><link>{_x(link)}</link>'
        f"<description>{_x(a.summary)}</description><dc:date>{_iso(a.published)}</dc:date>"
        f"<dc:creator>{_x(a.author)}</dc:creator></item>\n"
        for a, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'<channel rdf:about="{base_url}/feeds/rdf.xml"><title>{SITE_NAME}: Wire</title>'
        f"<link>{base_url}/</link><description>Wire stories</description>"
        f"<dc:date>{_iso(updated)}</dc:date><items><rdf:Seq>{seq}</rdf:Seq></items></channel>\n"
        f"{items}</rdf:RDF>\n"
    ).encode()


def json_feed(base_url: str, entries: list[Entry], updated: datetime) -> bytes:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{SITE_NAME}: Everything",
        "home_page_url": base_url + "/",
        "feed_url": base_url + "/feeds/feed.json",
        "items": [
            {
                "id": base_url + a.path,
                "url": link,
                "title": a.title,
                "summary": a.summary,
                "date_published": _iso(a.published),
                "authors": [{"name": a.author}],
                "tags": [a.section],
            }
            for a, link in entries
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()
