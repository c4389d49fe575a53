"""The config file ``newsmon demo`` writes: every source kind pointed at the local site."""

from __future__ import annotations

from pathlib import Path

import jinja2

CONFIG_NAME = "newsmon.toml"


def write_demo_config(directory: Path, base_url: str, seeds_dir: Path) -> Path:
    """Write ``directory/newsmon.toml`` for the demo site at ``base_url``; return its path."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scheduler.demosite", "templates"),
        autoescape=False,  # TOML, not HTML
        keep_trailing_newline=True,
    )
    text = env.get_template("demo_config.toml.jinja").render(
        base_url=base_url, seeds_dir=str(seeds_dir)
    )
    path = directory / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path
