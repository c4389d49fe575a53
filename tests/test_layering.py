"""The layers import one way: storage <- crawler <- scheduler (README, "Development": Layout).

Read from the source with ``ast``, so a violating import fails here even if it sits in a
function body or a module no test imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "storage": {"crawler", "scheduler"},
    "crawler": {"scheduler"},
}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    bad: list[str] = []
    for path in sorted((PROJECT / package).rglob("*.py")):
        for line, top in sorted(imported_packages(path)):
            if top in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(PROJECT)}:{line} imports {top}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_higher_ones(package: str) -> None:
    assert (PROJECT / package).is_dir()
    assert violations(package) == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from scheduler.config import Config\n    import crawler.spec\n"
    )
    assert imported_packages(module) == {(2, "scheduler"), (3, "crawler")}
