"""Turn the bytes of an HTML page into text, choosing the encoding with care.

Order of trust: a byte-order mark (it cannot lie), the HTTP charset, the page's own
``<meta charset>`` / ``http-equiv`` / XML declaration, then statistical detection with
charset-normalizer.

The standard parts come from w3lib.encoding, the library Scrapy decodes its responses with:
``read_bom`` reads the byte-order mark, ``http_content_type_encoding`` the Content-Type charset
(in ``crawler.spiders.news.header_charset``), ``html_body_declared_encoding`` runs the WHATWG
prescan for a declaration (the first 4 KB, comments skipped, stopping at ``<body>``), and
``resolve_encoding`` maps a label to a Python codec, widened to the WHATWG superset
(latin-1 → cp1252, gb2312 → gb18030, ...). ``html_to_unicode`` is not used: it takes the first
declaration it finds, and here a declaration is only a candidate.

Kept hand-written, because no library does it: a declared charset is only taken when it is
*plausible*. The bytes must decode without error, and the result must not look like mojibake
(Cyrillic read in the wrong code page has the wrong letter case or box-drawing symbols;
Cyrillic read as Latin-1 is a run of accented letters; UTF-8 read as Latin-1 is valid UTF-8
that the declaration ignores). Russian sites still serve windows-1251 and koi8-r pages with a
wrong or missing declaration, and statistical detectors confuse those code pages with each
other and with Latin ones, so the Cyrillic reading is checked first (see ``_detect``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

_CYRILLIC_CODECS = ("cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic")
_COMMON_CYRILLIC = re.compile("[оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфіїє]")
_WORD = re.compile(r"[^\W\d_]{3,}")
_ASCII_LETTER = re.compile(r"[a-zA-Z]")
_RATIO_CHARS = 60_000
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_LATIN_SINGLE_BYTE = {
    "cp1252",
    "cp1250",
    "cp1254",
    "cp1257",
    "iso8859_2",
    "iso8859_3",
    "iso8859_4",
    "iso8859_10",
    "iso8859_13",
    "iso8859_14",
    "iso8859_15",
    "iso8859_16",
    "mac_roman",
    "mac_latin2",
}
# Codecs Python has that are no web encoding (w3lib resolves their names all the same): a page
# declaring one of them must not choose how it is read. The bytes-to-bytes and str-to-str ones
# ("hex", "base64", "rot13") are told apart by CodecInfo._is_text_encoding; these are text
# codecs that no browser knows.
_NOT_WEB = frozenset({"idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined"})
_DETECT_BYTES = 200_000


def canonical_codec(label: str | None) -> str | None:
    """Python codec name for an encoding label, widened to its WHATWG superset (w3lib's
    ``resolve_encoding``), spelled with underscores ("koi8_r"); None if unknown or not a web
    encoding."""
    if not label:
        return None
    try:
        name = resolve_encoding(label.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None
    # _is_text_encoding is private but stable since Python 3.4 (typeshed declares it); it is
    # what the str.encode/bytes.decode machinery itself checks.
    if name is None or not codecs.lookup(name)._is_text_encoding:
        return None
    name = name.replace("-", "_")
    return None if name in _NOT_WEB else name


def meta_charset(body: bytes) -> str | None:
    """The encoding the page declares (``<meta charset>``, ``<meta http-equiv content=...>`` or
    an XML declaration, by w3lib's WHATWG prescan of the first 4 KB), if any."""
    return html_body_declared_encoding(body)


def decode_html(body: bytes, http_encoding: str | None = None) -> tuple[str, str]:
    """Decode ``body``; returns ``(text, codec_name)``. Never raises on garbage bytes.

    ``http_encoding`` is the charset label of the HTTP Content-Type header (see
    ``crawler.spiders.news.header_charset``).
    """
    bom_codec, bom = read_bom(body)
    if bom_codec is not None and bom is not None:
        return to_unicode(body[len(bom) :], bom_codec), bom_codec.replace("-", "_")
    declared = [canonical_codec(http_encoding), canonical_codec(meta_charset(body))]
    for codec in _unique(c for c in declared if c):
        text = _try_decode(body, codec)
        if text is not None and _plausible(body, text, codec):
            return text, codec
    return _detect(body)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _try_decode(body: bytes, codec: str) -> str | None:
    # A declared UTF-16/32 page without a BOM is almost always an ASCII-compatible page
    # mislabelled by a server, so those labels are not trusted here.
    if codec.startswith(("utf_16", "utf_32")):
        return None
    try:
        # final=False: a body cut at the size cap may end inside a multi-byte character.
        return codecs.getincrementaldecoder(codec)().decode(body, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(body: bytes, text: str, codec: str) -> bool:
    if body.isascii():
        return True
    sample = text[:_RATIO_CHARS]
    if codec in _CYRILLIC_CODECS:
        # Single-byte codec: the first N characters are the first N bytes.
        high = len(_HIGH_BYTE.findall(body[:_RATIO_CHARS]))
        return len(_COMMON_CYRILLIC.findall(sample)) > 0.6 * high
    if codec in _LATIN_SINGLE_BYTE:
        # Valid UTF-8 with non-ASCII bytes is very unlikely to be anything else by chance.
        if _try_decode(body, "utf_8") is not None:
            return False
        # Accented Latin words nearly always contain plain ASCII letters too ("gęślą", "café");
        # Cyrillic read as Latin-1 gives words made only of accented letters ("Ïóòèí").
        return _word_shares(sample)[0] < 0.5
    return True


def _word_shares(text: str) -> tuple[float, float]:
    """Among words with non-ASCII letters: the share with no ASCII letter, the share with one."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0, 0.0
    pure = sum(1 for w in words if _ASCII_LETTER.search(w) is None)
    return pure / len(words), 1 - pure / len(words)


def _detect(body: bytes) -> tuple[str, str]:
    utf8 = _try_decode(body, "utf_8")
    if utf8 is not None:
        return utf8, "utf_8"
    sample = body[:_DETECT_BYTES]
    cyrillic, hits = _best_cyrillic(sample)
    # Statistical detectors confuse the Cyrillic code pages with each other and, on short
    # pages, with Latin ones; when most non-ASCII bytes read as common Cyrillic letters in one
    # code page, in words that are not a mix of Latin and Cyrillic (as "Krakуw" would be),
    # that reading wins.
    if hits > 0.6 * len(_HIGH_BYTE.findall(sample)):
        text = body.decode(cyrillic, "replace")
        if _word_shares(text[:_RATIO_CHARS])[1] < 0.1:
            return text, cyrillic
    results = from_bytes(sample)
    best = results.best()
    if best is not None:
        # On ties the web's commonest legacy encoding wins (charset-normalizer would answer
        # cp1250 as readily as cp1252 for French).
        tied = [r for r in results if (r.chaos, r.coherence) == (best.chaos, best.coherence)]
        best = next((r for r in tied if r.encoding == "cp1252"), best)
    codec = canonical_codec(best.encoding) if best is not None else None
    if codec is None:
        return body.decode("utf_8", "replace"), "utf_8"
    return to_unicode(body, codec), codec


def _best_cyrillic(body: bytes) -> tuple[str, int]:
    """The Cyrillic code page giving the most common lower-case letters, and that count."""
    best, best_hits = "cp1251", -1
    for codec in ("cp1251", "koi8_r", "iso8859_5", "cp866", "koi8_u"):
        text = body.decode(codec, "replace")
        hits = len(_COMMON_CYRILLIC.findall(text))
        if hits > best_hits:
            best, best_hits = codec, hits
    return best, best_hits
