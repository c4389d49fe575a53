"""Saved models in ``model_dir``: every trained version is kept, one is current.

model_dir/versions/<version>.json   every model ever trained (JSON, see model.py)
model_dir/CURRENT                   the version in use
model_dir/HISTORY                   versions made current, oldest first (for rollback)
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from crawler.relevance.model import FORMAT, RelevanceModel
from storage.exceptions import ModelError

logger = logging.getLogger(__name__)


class ModelStore:
    """Keeps model versions in a folder; ``activate`` and ``rollback`` move the pointer."""

    def __init__(self, model_dir: Path) -> None:
        self.dir = model_dir

    @property
    def _current_file(self) -> Path:
        return self.dir / "CURRENT"

    @property
    def _history_file(self) -> Path:
        return self.dir / "HISTORY"

    def path_of(self, version: str) -> Path:
        return self.dir / "versions" / f"{version}.json"

    def current_version(self) -> str | None:
        if not self._current_file.exists():
            return None
        version = self._current_file.read_text(encoding="utf-8").strip()
        return version or None

    def history(self) -> list[str]:
        if not self._history_file.exists():
            return []
        return [v for v in self._history_file.read_text(encoding="utf-8").split() if v]

    def load(self, version: str, threshold: float) -> RelevanceModel:
        path = self.path_of(version)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read relevance model {path}: {exc}") from exc
        if data.get("format") != FORMAT:
            raise ModelError(
                f"relevance model {path} has format {data.get('format')!r}, "
                f"expected {FORMAT}: retrain with `newsmon train`"
            )
        return RelevanceModel.from_json(data, threshold)

    def load_current(self, threshold: float) -> RelevanceModel | None:
        """The current model, or None when none is saved (or it is of an older format)."""
        version = self.current_version()
        if version is None:
            return None
        try:
            return self.load(version, threshold)
        except ModelError as exc:
            logger.warning("%s", exc)
            return None

    def save(self, model: RelevanceModel, *, activate: bool = True) -> Path:
        """Save a new version and (by default) make it current."""
        path = self.path_of(model.version)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        if activate:
            self.activate(model.version)
        return path

    def activate(self, version: str) -> None:
        if not self.path_of(version).exists():
            raise ModelError(f"no saved relevance model version {version!r} in {self.dir}")
        history = self.history()
        if not history or history[-1] != version:
            history.append(version)
        self._write(self._history_file, "\n".join(history) + "\n")
        self._write(self._current_file, version + "\n")

    def rollback(self) -> str:
        """Make the previous version current again; returns it."""
        history = self.history()
        if len(history) < 2:
            raise ModelError(f"no previous relevance model to roll back to in {self.dir}")
        history.pop()
        self._write(self._history_file, "\n".join(history) + "\n")
        self._write(self._current_file, history[-1] + "\n")
        return history[-1]

    def _write(self, path: Path, text: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
