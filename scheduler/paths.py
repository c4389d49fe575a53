"""Where newsmon finds the files it ships beside its code."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_seeds_dir() -> Path:
    """The ``seeds/`` folder of the newsmon checkout (the training baseline)."""
    return PROJECT_DIR / "seeds"
