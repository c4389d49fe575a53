"""The fault matrix, part two: feeds and sitemaps broken as documents, and the bombs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tests.faults import content as c
from tests.faults import responses as r
from tests.faults.catalog_types import Fault, SiteMap


def malformed_docs(
    site: SiteMap,
    add: Callable[..., Fault],
    article: Callable[..., c.GoodArticle],
    item: Callable[..., c.FeedItem],
    base: str,
    now: datetime,
    bomb: bytes,
) -> None:
    """Feeds and sitemaps that are broken as documents, and the decompression bombs."""
    goods = [article("feed_unclosed", i) for i in range(2)]
    doc = c.rss([item(g.path) for g in goods]).decode()
    # Cut the feed inside a third, unclosed item: no </item>, </channel> or </rss>.
    doc = doc.replace("</channel></rss>", "<item><title>Cut off<link>" + base + "/f/feed_u")
    add(
        "feed_unclosed",
        "RSS cut off inside an unclosed item",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(doc.encode(), "application/rss+xml"),
    )
    goods = [article("feed_bad_entities", i) for i in range(2)]
    doc = c.rss([item(g.path) for g in goods]).decode()
    doc = doc.replace("<title>Item</title>", "<title>Putin &nbsp; &bogus; R&D & co</title>")
    add(
        "feed_bad_entities",
        "undefined entities and bare & in RSS",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(doc.encode(), "application/rss+xml"),
    )
    goods = [article("feed_bad_charref", i) for i in range(2)]
    doc = c.rss([item(g.path) for g in goods]).decode()
    doc = doc.replace(
        "<title>Item</title>", "<title>Kremlin &#xAAAAAAAA; &#99999999999;</title>", 1
    )
    add(
        "feed_bad_charref",
        "RSS with out-of-range character references",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(doc.encode(), "application/rss+xml"),
    )
    goods = [article("sitemap_bad_loc", i) for i in range(2)]
    doc = c.urlset([item(g.path) for g in goods]).decode()
    doc = doc.replace("<url>", "<url><loc>http://[broken/x</loc></url><url>", 1)
    add(
        "sitemap_bad_loc",
        "sitemap with one unparsable <loc> (http://[broken) before good ones",
        kind="sitemap",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(doc.encode(), "application/xml"),
    )
    goods = [article("sitemap_malformed", i) for i in range(2)]
    doc = c.urlset([item(g.path) for g in goods]).decode()
    cut = "<url><loc>" + base + "/f/sitemap_malformed/_cut&bogus;<lastmod>"
    doc = doc.replace("</urlset>", cut)
    add(
        "sitemap_malformed",
        "sitemap with a bad entity, cut off unclosed",
        kind="sitemap",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(doc.encode(), "application/xml"),
    )
    goods = [article("feed_20k", i) for i in range(3)]
    big = c.rss_20k([item(g.path) for g in goods], base + "/f/feed_20k/_bulk-{n}.html", now)
    add(
        "feed_20k",
        "RSS with 20,000 items (all but 3 ten years old)",
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(big, "application/rss+xml"),
        max_articles=20,
    )
    gz = "application/gzip"
    add(
        "gzip_bomb_page",
        "article page: Content-Encoding gzip, 1 GB inflated",
        counted=True,
        pages={"page.html": r.ok(bomb, "text/html", Content_Encoding="gzip")},
    )
    add(
        "gzip_bomb_feed",
        "the feed: Content-Encoding gzip, 1 GB inflated",
        counted=True,
        good=0,
        entry=r.ok(bomb, "application/rss+xml", Content_Encoding="gzip"),
    )
    goods = [article("gzip_bomb_sitemap", i) for i in range(2)]
    child = "/f/gzip_bomb_sitemap/_child.xml"
    site.routes[child] = r.ok(c.urlset([item(g.path) for g in goods]), "application/xml")
    site.routes["/f/gzip_bomb_sitemap/_bomb.xml.gz"] = r.ok(bomb, gz)
    index = c.sitemap_index([base + "/f/gzip_bomb_sitemap/_bomb.xml.gz", base + child], now)
    add(
        "gzip_bomb_sitemap",
        "sitemap index -> .xml.gz bomb (1 GB) and a good child",
        kind="sitemap",
        counted=True,
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(index, "application/xml"),
    )
    goods = [article("gzip_corrupt_sitemap", i) for i in range(2)]
    child = "/f/gzip_corrupt_sitemap/_child.xml"
    site.routes[child] = r.ok(c.urlset([item(g.path) for g in goods]), "application/xml")
    corrupt = b"\x1f\x8b\x08\x00" + b"\x00" * 6 + bytes(range(7, 250))
    site.routes["/f/gzip_corrupt_sitemap/_corrupt.xml.gz"] = r.ok(corrupt, gz)
    index = c.sitemap_index([base + "/f/gzip_corrupt_sitemap/_corrupt.xml.gz", base + child], now)
    add(
        "gzip_corrupt_sitemap",
        "sitemap index -> .xml.gz with broken deflate data, and a good child",
        kind="sitemap",
        counted=True,
        good=0,
        extra_good=tuple(goods),
        entry=r.ok(index, "application/xml"),
    )
    add(
        "feed_binary",
        "binary noise served as the feed",
        counted=True,
        good=0,
        entry=r.ok(bytes(range(256)) * 400, "application/rss+xml"),
    )
