"""``newsmon seeds``: list the seed articles, or add one from a file or the database."""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

from crawler.relevance.htmltext import html_to_text, looks_like_html
from scheduler.commands._relevance import seeds_dir
from scheduler.context import Context
from scheduler.paths import project_seeds_dir
from storage.exceptions import UsageError
from storage.labels import find_article, get_article


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "seeds",
        help="list seed articles or add one",
        description="The seed articles in [relevance].seeds_dir teach the model the topic. "
        "`seeds add FILE|ARTICLE-ID|URL` copies an article's text into it (a text or HTML file, "
        "or an article stored in the database, by id or URL); then run `newsmon train`.",
    )
    p.set_defaults(func=run_list)
    ssub = p.add_subparsers(dest="seeds_command", metavar="SUBCOMMAND")
    ssub.add_parser("list", help="list the seed files").set_defaults(func=run_list)
    add = ssub.add_parser("add", help="add a seed from a file, an article id or a stored URL")
    add.add_argument("source", metavar="FILE|ARTICLE-ID|URL")
    add.set_defaults(func=run_add)


def _target_dir(ctx: Context) -> Path:
    """The configured seeds folder; created (with the bundled seeds) when missing, so that a
    new seed adds to the baseline instead of replacing it."""
    target = ctx.config.seeds_folder
    if not target.is_dir():
        shutil.copytree(project_seeds_dir(), target)
    return target


def _read_source(ctx: Context, source: str) -> tuple[str | None, str, str]:
    """(title, text, where it came from)."""
    path = Path(source)
    if path.is_file():
        data = path.read_bytes()
        if path.suffix.lower() in (".html", ".htm") or looks_like_html(data):
            title, text = html_to_text(data, path.resolve().as_uri())
            return title, text, str(path)
        return None, data.decode("utf-8", errors="replace"), str(path)
    with ctx.sessions() as session:
        article = get_article(session, int(source)) if source.isdigit() else None
        if article is None and "://" in source:
            article = find_article(session, source)
        if article is None:
            raise UsageError(f"{source!r} is neither a file nor a stored article id or URL")
        return article.title, article.text, f"article {article.id} ({article.url})"


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    title, text, origin = _read_source(ctx, args.source)
    if not text.strip():
        raise UsageError(f"{origin} has no text")
    body = f"{title}\n\n{text.strip()}\n" if title else f"{text.strip()}\n"
    target = _target_dir(ctx)
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]
    existing = [p for p in target.glob("*.txt") if p.stem.endswith(digest)]
    if existing:
        print(f"seed already present: {existing[0]}")
        return 0
    number = len(list(target.glob("*.txt")))
    path = target / f"{number:03d}_{digest}.txt"
    path.write_text(body, encoding="utf-8")
    print(f"seed added: {path} (from {origin})")
    print("run `newsmon train` to retrain the model with it")
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    folder = seeds_dir(ctx)
    files = sorted(folder.glob("*.txt"))
    print(f"{len(files)} seed articles in {folder}")
    for p in files:
        first = p.read_text(encoding="utf-8", errors="replace").strip().split("\n", 1)[0]
        print(f"  {p.name}  {first[:80]}")
    return 0
