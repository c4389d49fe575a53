"""Raw pages are archived as standard gzip, whatever writes them."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

from storage.compress import gzip_raw

PAGE = (
    "<html><body>" + "<p>Кремль и армия: новый виток чистки.</p>" * 500 + "</body></html>"
).encode()


def test_any_gzip_reader_reads_it(tmp_path: Path) -> None:
    packed = gzip_raw(PAGE)
    assert gzip.decompress(packed) == PAGE
    assert len(packed) < len(PAGE) / 4
    archived = tmp_path / "page.html.gz"
    archived.write_bytes(packed)
    unpacked = subprocess.run(["gzip", "-dc", str(archived)], capture_output=True, check=True)
    assert unpacked.stdout == PAGE


def test_the_same_page_gives_the_same_bytes() -> None:
    assert gzip_raw(PAGE) == gzip_raw(PAGE)
    assert gzip_raw(b"") and gzip.decompress(gzip_raw(b"")) == b""
