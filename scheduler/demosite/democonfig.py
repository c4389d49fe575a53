"""The config file ``newsmon demo`` writes: every source kind pointed at the local site."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jinja2

CONFIG_NAME = "newsmon.toml"


def write_demo_config(
    directory: Path, base_url: str, seeds_dir: Path, *, site_running: bool = True
) -> Path:
    """Write ``directory/newsmon.toml`` for the demo site at ``base_url``; return its path.

    With ``site_running`` False (what ``demo --keep`` leaves behind once the site has
    stopped), every source is disabled and the header says how to serve the site again on
    the same port and crawl it by name.
    """
    path = directory / CONFIG_NAME
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scheduler.demosite", "templates"),
        autoescape=False,  # TOML, not HTML
        keep_trailing_newline=True,
    )
    text = env.get_template("demo_config.toml.jinja").render(
        base_url=base_url,
        seeds_dir=str(seeds_dir),
        site_running=site_running,
        port=urlsplit(base_url).port,
        config_path=str(path).replace("\n", " "),  # in a comment: one line
        disabled="" if site_running else "\nenabled = false  # the demo site is gone: see the top",
    )
    path.write_text(text, encoding="utf-8")
    return path
