"""OPML 2.0, the subscription list feed readers import and export.

Feeds are ``<outline type="rss" xmlUrl=...>``; folders (outlines holding outlines) become
source groups. Sitemap and page sources, which readers cannot use, are exported as
``type="link"`` outlines carrying ``newsmonKind`` so that an import brings them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from crawler.spec import SourceSpec
from storage.exceptions import UsageError


@dataclass(frozen=True)
class OpmlEntry:
    title: str | None
    url: str
    kind: str
    group: str | None
    site_url: str | None = None


def read_opml(data: bytes, name: str) -> list[OpmlEntry]:
    """The subscriptions of an OPML file, in document order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UsageError(f"{name} is not an OPML file: {exc}") from None
    if root.tag != "opml":
        raise UsageError(f"{name} is not an OPML file (its root is <{root.tag}>)")
    out: list[OpmlEntry] = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl")
        kind = "feed"
        if not url and node.get("newsmonKind") in ("sitemap", "page"):
            url, kind = node.get("url"), str(node.get("newsmonKind"))
        if not url:
            continue
        parent = node.getparent()
        group = None
        if parent is not None and parent.tag == "outline":
            group = parent.get("text") or parent.get("title")
        out.append(
            OpmlEntry(
                title=node.get("title") or node.get("text"),
                url=url.strip(),
                kind=kind,
                group=group,
                site_url=node.get("htmlUrl"),
            )
        )
    return out


def _outline(spec: SourceSpec, indent: str) -> str:
    name = quoteattr(spec.name)
    if spec.kind == "feed":
        return (
            f'{indent}<outline type="rss" text={name} title={name} xmlUrl={quoteattr(spec.url)}/>'
        )
    return (
        f'{indent}<outline type="link" text={name} title={name} url={quoteattr(spec.url)} '
        f"newsmonKind={quoteattr(spec.kind)}/>"
    )


def write_opml(sources: Sequence[SourceSpec], title: str = "newsmon sources") -> str:
    """Every source as OPML 2.0; sources of a group other than ``default`` in its folder."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{title}</title></head>",
        "  <body>",
    ]
    groups: dict[str, list[SourceSpec]] = {}
    for spec in sources:
        groups.setdefault(spec.group, []).append(spec)
    for group, specs in groups.items():
        if group == "default":
            lines += [_outline(s, "    ") for s in specs]
        else:
            lines.append(f"    <outline text={quoteattr(group)} title={quoteattr(group)}>")
            lines += [_outline(s, "      ") for s in specs]
            lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
