"""decode_html: the right characters from the bytes, whatever the server and page claim."""

from __future__ import annotations

import codecs

import pytest

from crawler.extraction.decode import decode_html

RUSSIAN = (
    "Председатель правительства провёл совещание с руководителями крупнейших банков страны, "
    "участники обсудили меры поддержки промышленности и рост процентных ставок. "
)
POLISH = "Rząd przedstawił w środę projekt budżetu, który zakłada wyższe wydatki na obronność. "
FRENCH = "Les élèves étaient très contents de revenir à l’école après les vacances d’été. "
CHINESE = "国务院总理主持召开常务会议，研究部署进一步稳定经济增长的政策措施。"


def html(text: str, declaration: str = "") -> str:
    return f"<html><head>{declaration}<title>t</title></head><body><p>{text * 3}</p></body></html>"


@pytest.mark.parametrize(
    ("text", "codec", "meta"),
    [
        (RUSSIAN, "cp1251", "windows-1251"),
        (RUSSIAN, "koi8_r", "koi8-r"),
        (RUSSIAN, "iso8859_5", "iso-8859-5"),
        (POLISH, "iso8859_2", "iso-8859-2"),
        (FRENCH, "cp1252", "iso-8859-1"),
        (CHINESE, "gb18030", "gb2312"),
    ],
)
def test_meta_declaration_is_followed(text: str, codec: str, meta: str) -> None:
    body = html(text, f'<meta charset="{meta}">').encode(codec)
    decoded, used = decode_html(body)
    assert text in decoded
    assert used == codec


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r"])
def test_cyrillic_without_any_declaration_is_detected(codec: str) -> None:
    decoded, used = decode_html(html(RUSSIAN).encode(codec))
    assert RUSSIAN in decoded
    assert used == codec


@pytest.mark.parametrize("wrong", ["windows-1251", "koi8-r", "iso-8859-1"])
def test_wrong_declaration_for_cyrillic_is_overruled(wrong: str) -> None:
    right = "koi8_r" if wrong != "koi8-r" else "cp1251"
    body = html(RUSSIAN, f'<meta charset="{wrong}">').encode(right)
    decoded, used = decode_html(body)
    assert RUSSIAN in decoded
    assert used == right


def test_utf8_page_mislabelled_latin1_by_the_server() -> None:
    body = html(FRENCH, '<meta charset="utf-8">').encode("utf-8")
    decoded, used = decode_html(body, http_encoding="ISO-8859-1")
    assert FRENCH in decoded
    assert used == "utf_8"


def test_latin_page_is_not_mistaken_for_cyrillic() -> None:
    decoded, _ = decode_html(html(FRENCH).encode("cp1252"))
    assert FRENCH in decoded


def test_bom_wins() -> None:
    body = codecs.BOM_UTF8 + html(RUSSIAN, '<meta charset="windows-1251">').encode("utf-8")
    decoded, used = decode_html(body, http_encoding="koi8-r")
    assert RUSSIAN in decoded
    assert used == "utf_8"


def test_body_cut_inside_a_utf8_character_still_decodes_as_utf8() -> None:
    body = html(RUSSIAN, '<meta charset="utf-8">').encode("utf-8")
    cut = body.rindex("ж".encode()) + 1  # inside the last "ж"
    decoded, used = decode_html(body[:cut])
    assert used == "utf_8"
    assert RUSSIAN in decoded
    assert "\ufffd" not in decoded


def test_unknown_labels_are_ignored() -> None:
    decoded, used = decode_html(html(FRENCH, '<meta charset="x-no-such">').encode("utf-8"), "bogus")
    assert FRENCH in decoded
    assert used == "utf_8"


def test_http_charset_beats_the_meta_when_both_read_the_page() -> None:
    body = html(POLISH, '<meta charset="windows-1250">').encode("iso8859_2")
    decoded, used = decode_html(body, http_encoding="iso-8859-2")
    assert POLISH in decoded
    assert used == "iso8859_2"


@pytest.mark.parametrize(
    ("text", "codec", "label", "resolved"),
    [
        # Labels are widened to the WHATWG superset, as browsers do: the curly apostrophe of
        # FRENCH exists in cp1252 only, and GB2312 pages are read as GB18030.
        (FRENCH, "cp1252", "ISO-8859-1", "cp1252"),
        (FRENCH, "cp1252", "latin1", "cp1252"),
        (CHINESE, "gb18030", "GB2312", "gb18030"),
        (RUSSIAN, "cp1251", "Windows-1251", "cp1251"),
        (RUSSIAN, "koi8_r", "KOI8-R", "koi8_r"),
    ],
)
def test_http_charset_labels_are_resolved(text: str, codec: str, label: str, resolved: str) -> None:
    decoded, used = decode_html(html(text).encode(codec), http_encoding=label)
    assert text in decoded
    assert used == resolved


@pytest.mark.parametrize("codec", ["utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"])
def test_utf16_and_utf32_pages_are_read_by_their_bom(codec: str) -> None:
    body = html(RUSSIAN, '<meta charset="windows-1251">').encode(codec)
    bom = {"utf_16_le": codecs.BOM_UTF16_LE, "utf_16_be": codecs.BOM_UTF16_BE}
    bom |= {"utf_32_le": codecs.BOM_UTF32_LE, "utf_32_be": codecs.BOM_UTF32_BE}
    decoded, used = decode_html(bom[codec] + body, http_encoding="koi8-r")
    assert RUSSIAN in decoded
    assert used == codec


def test_a_declaration_inside_a_comment_is_not_one() -> None:
    body = html(RUSSIAN, '<!-- <meta charset="koi8-r"> --><meta charset="windows-1251">')
    decoded, used = decode_html(body.encode("cp1251"))
    assert RUSSIAN in decoded
    assert used == "cp1251"


@pytest.mark.parametrize(
    "label", ["hex", "base64", "rot13", "unicode_escape", "undefined", "utf-7"]
)
def test_a_python_only_codec_is_no_declaration(label: str) -> None:
    """Python knows codecs that no browser does; a page naming one is read as if it named none
    (it used to raise, or came back as bytes)."""
    body = html(FRENCH + " \\u0041 ", f'<meta charset="{label}">').encode("utf-8")
    decoded, used = decode_html(body, http_encoding=label)
    assert FRENCH + " \\u0041 " in decoded
    assert used == "utf_8"
