"""Pages the fault site serves: good articles (each with a unique, checkable sentence),
feeds, sitemaps, boilerplate-only pages and the raw material of the faults.

Everything here is written for this project. Article texts are drawn word by word from a
seeded generator, so two articles never look like near-duplicates of each other and a run
is reproducible.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

_SUBJECTS = (
    "the Kremlin",
    "the presidential administration",
    "the security council",
    "the FSB",
    "the defence ministry",
    "the general staff",
    "regional governors",
    "the Duma speaker",
    "loyalist oligarchs",
    "the national guard",
    "the prosecutor general",
    "Wagner veterans",
    "opposition networks",
    "the prime minister",
    "senior generals",
    "the central bank chief",
)
_VERBS = (
    "reshuffled",
    "purged",
    "questioned",
    "undermined",
    "protected",
    "sidelined",
    "promoted",
    "investigated",
    "courted",
    "warned",
    "replaced",
    "arrested",
    "defended",
    "challenged",
)
_OBJECTS = (
    "deputy ministers",
    "succession planners",
    "provincial elites",
    "mutiny organisers",
    "protest leaders",
    "coup plotters",
    "military commanders",
    "security chiefs",
    "party officials",
    "state media editors",
    "energy executives",
    "border commanders",
)
_TAILS = (
    "after weeks of rumours in Moscow",
    "as the power struggle deepened",
    "amid fresh speculation about the succession",
    "while the elite split widened",
    "despite public pledges of loyalty",
    "before the next leadership meeting",
    "following a closed-door session",
    "as analysts watched for signs of instability",
)
_CYRILLIC = (
    "Кремль",
    "администрация",
    "генералы",
    "губернаторы",
    "преемник",
    "элита",
    "протест",
    "чистка",
    "министерство",
    "совет",
    "безопасности",
    "оппозиция",
    "власть",
    "решение",
)


@dataclass(frozen=True)
class GoodArticle:
    """An article the crawl must store exactly once.

    ``marker`` is an ASCII token that identifies the stored row even if the text was
    decoded wrongly; ``sentence`` must appear verbatim in a correctly extracted text.
    """

    fault: str
    path: str
    marker: str
    title: str
    sentence: str
    html: str
    encoding: str = "utf-8"

    @property
    def body(self) -> bytes:
        return self.html.encode(self.encoding)


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} "
        f"{rng.randint(2, 90)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    )


def _paragraph(rng: random.Random, sentences: int = 5) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _cyrillic_paragraph(rng: random.Random) -> str:
    words = [rng.choice(_CYRILLIC) for _ in range(40)]
    return " ".join(words).capitalize() + "."


def make_article(
    fault: str,
    index: int,
    path: str,
    published: datetime,
    *,
    encoding: str = "utf-8",
    declare: str | None = "utf-8",
    cyrillic: bool = False,
) -> GoodArticle:
    """A good article for ``fault``. ``declare`` is the meta charset written (None: none)."""
    rng = random.Random(f"{fault}/{index}")
    marker = f"fm{zlib.crc32(f'{fault}/{index}'.encode()):08x}x{index}"
    if cyrillic:
        sentence = f"Источник {marker} сообщил, что Кремль готовит новую чистку генералов."
        title = f"Кремль и генералы {marker}"
        paras = [_cyrillic_paragraph(rng) for _ in range(3)]
    else:
        sentence = f"Reference code {marker} was cited by officials close to {fault}."
        title = f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {marker}"
        paras = [_paragraph(rng) for _ in range(4)]
    paras.insert(2, paras.pop(2) + " " + sentence)
    meta = f'<meta charset="{declare}">' if declare else ""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paras)
    html = (
        f"<!DOCTYPE html><html><head>{meta}<title>{escape(title)}</title>"
        f'<link rel="canonical" href="{{BASE}}{path}">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<meta name="author" content="Fault Desk"></head><body>'
        f'<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article><h1>{escape(title)}</h1><p class=byline>By Fault Desk</p>{body}</article>"
        f"<footer>Fault Gazette, a test site.</footer></body></html>"
    )
    return GoodArticle(fault, path, marker, title, sentence, html, encoding)


def boilerplate_page() -> bytes:
    """A page with navigation, cookie banner and footer, and no article at all."""
    links = " ".join(f'<a href="/section/{i}">Section {i}</a>' for i in range(40))
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Fault Gazette</title></head>"
        f"<body><nav>{links}</nav><div class=cookie>We use cookies. Accept all | Settings"
        "</div><aside>Subscribe | Log in | Newsletter</aside><footer>© Fault Gazette · "
        f"Privacy · Terms · Contact {links}</footer></body></html>"
    ).encode()


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str
    published: datetime


def rss(items: list[FeedItem], *, title: str = "Fault Gazette") -> bytes:
    """A well-formed RSS 2.0 feed."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://fault.invalid/</link>"
        "<description>faults</description>"
    ]
    parts.extend(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.url)}</link>"
        f"<guid>{escape(i.url)}</guid><pubDate>{format_datetime(i.published)}</pubDate>"
        "<description>Summary.</description></item>"
        for i in items
    )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def urlset(items: list[FeedItem]) -> bytes:
    """A well-formed sitemap urlset."""
    rows = "".join(
        f"<url><loc>{escape(i.url)}</loc><lastmod>{i.published.isoformat()}</lastmod></url>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
    ).encode()


def sitemap_index(urls: list[str], now: datetime) -> bytes:
    rows = "".join(
        f"<sitemap><loc>{escape(u)}</loc><lastmod>{now.isoformat()}</lastmod></sitemap>"
        for u in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}'
        "</sitemapindex>"
    ).encode()


def rss_20k(good: list[FeedItem], bulk_url: str, now: datetime, count: int = 20_000) -> bytes:
    """A huge feed: the good items first, then ``count`` years-old items."""
    old = format_datetime(now - timedelta(days=3650))
    # Bare items (link and date only) keep 20k of them under the crawl's 5 MB page cap: the
    # fault is the item count, not the byte size (the 50 MB pages test that).
    bulk = "".join(
        f"<item><link>{escape(bulk_url.format(n=n))}</link><pubDate>{old}</pubDate></item>"
        for n in range(count - len(good))
    )
    return rss(good, title="Fault Gazette archive").replace(
        b"</channel>", bulk.encode() + b"</channel>"
    )


def gzip_bomb(size: int = 1 << 30) -> bytes:
    """A valid single-member gzip stream of ``size`` zero bytes in about 1 MB.

    After a full flush deflate forgets its history, so every 1 MiB block of zeros compresses
    to the same bytes: compress one and repeat it instead of compressing a gigabyte.
    """
    chunk = b"\0" * (1 << 20)
    blocks = size // len(chunk)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp.compress(chunk)
    comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (blocks * len(chunk)) & 0xFFFFFFFF)
    return header + block * blocks + tail + trailer


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
