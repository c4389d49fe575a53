"""Add ``[[sources]]`` tables to the config file without disturbing anything else in it.

The file is edited with tomlkit, which keeps comments, blank lines, key order and every key
the editor does not touch. The new text is validated as a whole config before it replaces
the old file (written beside it, then renamed), so a failed edit leaves the file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT

from scheduler.config import Config, parse_config
from storage.exceptions import ConfigError


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base``, else ``base-2``, ``base-3``... (names are unique in a config)."""
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def add_sources(path: Path, tables: Iterable[Mapping[str, Any]]) -> Config:
    """Append one ``[[sources]]`` table per mapping (keys in the order given); returns the
    new config. Raises ConfigError (naming the key and file) if the result would not load."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc}", path=str(path)) from exc
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from exc
    existing = doc.get("sources")
    if existing is None:
        aot = tomlkit.aot()
        doc.append("sources", aot)
    elif isinstance(existing, AoT):
        aot = existing
    else:
        raise ConfigError("expected an array of tables [[sources]]", path=str(path), key="sources")
    for values in tables:
        table = tomlkit.table()
        for key, value in values.items():
            if value is not None and value != ():
                table.add(key, list(value) if isinstance(value, tuple) else value)
        aot.append(table)
    new_text = tomlkit.dumps(doc)
    if not new_text.endswith("\n"):
        new_text += "\n"
    cfg = parse_config(new_text, path.resolve())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    os.replace(tmp, path)
    return cfg
