"""The crawl's stages share state through one object, crawler.state.CrawlState, looked up
once in each stage's ``from_crawler``: no module under crawler/ looks another stage up
(``get_item_pipeline``) or reads, sets or probes attributes of the spider for it.

Read from the source with ``ast``, like tests/test_layering.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ATTRIBUTE_PROBES = {"getattr", "setattr", "hasattr", "delattr"}


def _is_spider(node: ast.expr) -> bool:
    """``spider`` or ``<anything>.spider``."""
    return (isinstance(node, ast.Name) and node.id == "spider") or (
        isinstance(node, ast.Attribute) and node.attr == "spider"
    )


def ad_hoc_lookups(path: Path) -> list[str]:
    """``line: what`` for each stage lookup or spider attribute probe/assignment in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Attribute) and fn.attr == "get_item_pipeline":
                found.append((node.lineno, "get_item_pipeline"))
            elif (
                isinstance(fn, ast.Name)
                and fn.id in ATTRIBUTE_PROBES
                and node.args
                and _is_spider(node.args[0])
            ):
                found.append((node.lineno, f"{fn.id}(spider, ...)"))
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _is_spider(target.value):
                    found.append((node.lineno, f"spider.{target.attr} = ..."))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_no_stage_looks_up_another_or_the_spiders_attributes() -> None:
    bad = [
        f"{path.relative_to(PROJECT)}:{hit}"
        for path in sorted((PROJECT / "crawler").rglob("*.py"))
        for hit in ad_hoc_lookups(path)
    ]
    assert bad == []


def test_the_checker_sees_each_kind_of_lookup(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f(crawler, spider):\n"
        "    crawler.get_item_pipeline(object)\n"
        "    getattr(spider, 'is_known', None)\n"
        "    hasattr(crawler.spider, 'fleet')\n"
        "    spider.pool = None\n"
        "    getattr(item, 'url', None)\n"
    )
    assert ad_hoc_lookups(module) == [
        "2: get_item_pipeline",
        "3: getattr(spider, ...)",
        "4: hasattr(spider, ...)",
        "5: spider.pool = ...",
    ]
