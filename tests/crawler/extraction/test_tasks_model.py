"""The model a worker scores with in the extraction trip: the saved one, never trained there."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crawler.extraction import tasks

PROJECT = Path(__file__).resolve().parents[3]
PAGE = (
    "<html lang='en'><head><title>Kremlin purge widens</title></head><body><article>"
    + "<p>The Kremlin dismissed two deputy defence ministers on Tuesday, and investigators "
    "detained a general, in the widest purge of the military leadership in years.</p>"
    * 4
    + "</article></body></html>"
).encode()


def test_an_unreadable_saved_model_is_tried_once_until_another_is_current(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model_dir = tmp_path / "model"
    (model_dir / "versions").mkdir(parents=True)
    (model_dir / "CURRENT").write_text("broken\n")
    (model_dir / "versions" / "broken.json").write_text("{not json")
    ref = tasks.ModelRef(str(model_dir), str(PROJECT / "seeds"), 0.5)

    with caplog.at_level(logging.WARNING):
        pages = [
            tasks.extract_and_pack(PAGE, f"http://a.test/{n}", None, score_with=ref)
            for n in range(3)
        ]
    assert all(p.extracted is not None and p.scored is None for p in pages)
    unreadable = [r for r in caplog.records if "cannot read relevance model" in r.getMessage()]
    assert len(unreadable) == 1  # once, not once a page

    # The score stage's path trains and saves a new model; the next page is scored with it.
    version = tasks.model_version(str(model_dir), str(PROJECT / "seeds"), 0.5)
    scored = tasks.extract_and_pack(PAGE, "http://a.test/next", None, score_with=ref).scored
    assert scored is not None and scored.model_version == version and scored.relevant


def test_no_saved_model_means_no_score_and_no_training(tmp_path: Path) -> None:
    ref = tasks.ModelRef(str(tmp_path / "model"), str(PROJECT / "seeds"), 0.5)
    packed = tasks.extract_and_pack(PAGE, "http://a.test/1", None, score_with=ref)
    assert packed.extracted is not None and packed.scored is None
    assert not (tmp_path / "model").exists()
