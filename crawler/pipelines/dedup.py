"""What the dedup check needs from an item: its canonical URL and its signature."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.items import ArticleItem
from crawler.urls import is_http_url, normalize_url


def canonical_for(item: ArticleItem) -> str:
    """The normalized canonical URL: the page's own claim (rel=canonical, og:url) unless it is
    unusable or names a site's front page (some sites put that on every article)."""
    claimed = item.canonical_url
    if claimed and is_http_url(claimed) and urlsplit(claimed).path.strip("/"):
        return normalize_url(claimed)
    return normalize_url(item.url)


def signed_of(item: ArticleItem) -> tuple[str, bytes] | None:
    """``(text_hash, minhash)`` when stage 250 signed the text in a worker, else None (the
    check then signs it: tests and scripts that skip that stage)."""
    if item.text_hash is None:
        return None
    return item.text_hash, item.minhash or b""
