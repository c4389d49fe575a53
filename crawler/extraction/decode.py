"""Turn the bytes of an HTML page into text, choosing the encoding with care.

Order of trust: a byte-order mark (it cannot lie), the HTTP charset, the page's own
``<meta charset>`` / ``http-equiv`` declaration, then statistical detection with
charset-normalizer. A declared charset is only taken when it is *plausible*: the bytes decode
without error and the result does not look like mojibake (Cyrillic read in the wrong code page
has the wrong letter case or box-drawing symbols; Cyrillic read as Latin-1 is a run of
accented letters; UTF-8 read as Latin-1 is valid UTF-8 that the declaration ignores).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

from charset_normalizer import from_bytes

# The WHATWG encoding standard maps these labels to supersets; decoding with the superset never
# loses characters the page author meant (e.g. "smart quotes" in pages labelled ISO-8859-1).
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
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
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)
_PRESCAN_BYTES = 16_384
_DETECT_BYTES = 200_000


def canonical_codec(label: str | None) -> str | None:
    """Python codec name for an encoding label, widened to its WHATWG superset; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name.replace("-", "_")
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def meta_charset(body: bytes) -> str | None:
    """The charset declared by ``<meta charset>`` or ``<meta http-equiv content=...>``, if any."""
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_html(body: bytes, http_encoding: str | None = None) -> tuple[str, str]:
    """Decode ``body``; returns ``(text, codec_name)``. Never raises on garbage bytes."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
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
    return body.decode(codec, "replace"), codec


def _best_cyrillic(body: bytes) -> tuple[str, int]:
    """The Cyrillic code page giving the most common lower-case letters, and that count."""
    best, best_hits = "cp1251", -1
    for codec in ("cp1251", "koi8_r", "iso8859_5", "cp866", "koi8_u"):
        text = body.decode(codec, "replace")
        hits = len(_COMMON_CYRILLIC.findall(text))
        if hits > best_hits:
            best, best_hits = codec, hits
    return best, best_hits
