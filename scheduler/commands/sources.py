"""``newsmon sources list|add|test|import|export``: manage many sources without hand-editing.

``add`` and ``import`` edit the config file in place, keeping its comments and layout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from crawler.spec import SOURCE_KINDS, SourceSpec
from scheduler.context import Context
from scheduler.sources.configfile import add_sources, unique_name
from scheduler.sources.discover import discover, slug
from scheduler.sources.opml import read_opml, write_opml
from scheduler.sources.preview import Preview, preview_source
from storage.exceptions import ConfigError, NewsmonError, UsageError
from storage.skips import describe

SHOW_PER_REASON = 10


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sources",
        help="list, add, test, import or export sources",
        description="`sources add URL` finds a site's feeds (or sitemaps) and adds the best one "
        "to the config; `sources test NAME|URL` shows what a crawl would fetch and skip, "
        "storing nothing; `sources import FILE.opml` and `sources export --format opml` trade "
        "subscription lists with feed readers. Edits keep the config's comments and layout.",
    )
    p.set_defaults(func=run_list, json=False)
    ssub = p.add_subparsers(dest="sources_command", metavar="SUBCOMMAND")
    lst = ssub.add_parser("list", help="the configured sources")
    lst.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    lst.set_defaults(func=run_list)
    add = ssub.add_parser("add", help="find a site's feed or sitemap and add it")
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", metavar="N", help="source name (default: from the site)")
    add.add_argument("--kind", choices=SOURCE_KINDS, help="use URL as this kind, no discovery")
    add.add_argument("--group", metavar="G", help="source group")
    add.set_defaults(func=run_add)
    test = ssub.add_parser("test", help="what a crawl would fetch and skip, storing nothing")
    test.add_argument("source", metavar="NAME|URL")
    test.add_argument("--kind", choices=SOURCE_KINDS, help="for a URL: its kind")
    test.add_argument("--all", action="store_true", help="list every URL, not the first ten")
    test.set_defaults(func=run_test)
    imp = ssub.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file", metavar="FILE.opml")
    imp.add_argument("--group", metavar="G", help="group for feeds outside any folder")
    imp.set_defaults(func=run_import)
    exp = ssub.add_parser("export", help="write the sources as OPML")
    exp.add_argument("--format", choices=("opml",), default="opml")
    exp.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    exp.set_defaults(func=run_export)


def _config_path(ctx: Context) -> Path:
    path = ctx.config.path
    if path is None:
        raise ConfigError("no config file to edit; create one with `newsmon init`")
    return path


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    specs = ctx.config.sources
    if args.json:
        rows = [msgspec.structs.asdict(s) for s in specs]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not specs:
        print("no sources; add one with `newsmon sources add URL`")
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        state = "" if s.enabled else "  (disabled)"
        group = "" if s.group == "default" else f"  [{s.group}]"
        print(f"{s.name:<{width}}  {s.kind:<7}  {s.url}{group}{state}")
    print(f"{len(specs)} source{'' if len(specs) == 1 else 's'}")
    return 0


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else "undated"


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    cfg = ctx.config
    path = _config_path(ctx)
    taken = [s.name for s in cfg.sources]
    if args.name and args.name in taken:
        raise ConfigError(
            f"a source named {args.name!r} exists already", path=str(path), key="sources"
        )
    if args.kind:
        url, kind, name = args.url, args.kind, slug(args.url.split("//")[-1].split("/")[0])
    else:
        found = discover(args.url, cfg.crawl)
        for probe in found.probes:
            c = probe.candidate
            what = (
                f"error: {probe.error}"
                if probe.error
                else f"{probe.entries} entries, newest {_when(probe.newest)}"
            )
            label = f" {c.title!r}" if c.title else ""
            print(f"  found {c.kind} {c.url}{label} ({what})")
        url, kind, name = found.url, found.kind, found.name
        if kind == "page":
            print("  no feed or sitemap found: the page's article links will be followed")
    if url in (s.url for s in cfg.sources):
        raise ConfigError(f"{url} is configured already", path=str(path), key="sources")
    name = args.name or unique_name(name, taken)
    table: dict[str, Any] = {"name": name, "url": url, "kind": kind}
    if args.group:
        table["group"] = args.group
    add_sources(path, [table])
    print(f"added source {name!r}: {kind} {url}")
    print(f"try it with `newsmon sources test {name}`")
    return 0


def _spec_for(args: argparse.Namespace, ctx: Context) -> SourceSpec:
    cfg = ctx.config
    by_name = {s.name: s for s in cfg.sources}
    if args.source in by_name:
        return by_name[args.source]
    if "://" not in args.source:
        raise ConfigError(
            f"no source named {args.source!r}; configured: {', '.join(sorted(by_name)) or '-'}",
            path=str(cfg.path) if cfg.path else None,
            key="sources",
        )
    if args.kind:
        return SourceSpec(name="(url)", url=args.source, kind=args.kind)
    found = discover(args.source, cfg.crawl)
    return SourceSpec(name="(url)", url=found.url, kind=found.kind)  # type: ignore[arg-type]


def _archive_lookup(ctx: Context) -> Any:
    try:
        ctx.migrated_engine()
    except NewsmonError:
        return None
    from crawler.spiders.known import ArchiveKnownUrls

    return ArchiveKnownUrls(ctx.sessions).lookup


def render_preview(p: Preview, *, age_days: int, show_all: bool, archive: bool) -> str:
    s = p.source
    out = [f"{s.name}: {s.kind} {s.url}", f"  listed: {p.listed}"]
    if not archive:
        out.append("  (no database yet: stored articles not checked; run `newsmon init`)")
    limit = None if show_all else SHOW_PER_REASON
    out.append(f"would fetch {len(p.fetch)}:")
    for e in p.fetch[:limit]:
        title = f"  {e.title}" if e.title else ""
        out.append(f"  {e.url}{title}")
    if limit and len(p.fetch) > limit:
        out.append(f"  ... and {len(p.fetch) - limit} more")
    counts = p.counts()
    if counts:
        summary = dict(counts)
        if age_days:
            summary["age_days"] = age_days
        out.append(f"would skip {len(p.skipped)}: {describe(summary, limit=9)}")
        for reason in counts:
            urls = [u for r, u in p.skipped if r == reason]
            for url in urls[:limit]:
                out.append(f"  {reason:<11}  {url}")
            if limit and len(urls) > limit:
                out.append(f"  {reason:<11}  ... and {len(urls) - limit} more")
    for error in p.errors:
        out.append(f"  error: {error}")
    return "\n".join(out)


def run_test(args: argparse.Namespace, ctx: Context) -> int:
    spec = _spec_for(args, ctx)
    lookup = _archive_lookup(ctx)
    preview = preview_source(spec, ctx.config.crawl, known=lookup)
    age = ctx.config.crawl.max_article_age_days
    print(render_preview(preview, age_days=age, show_all=args.all, archive=lookup is not None))
    return 0


def run_import(args: argparse.Namespace, ctx: Context) -> int:
    cfg = ctx.config
    path = _config_path(ctx)
    file = Path(args.file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc}") from None
    entries = read_opml(data, str(file))
    names = [s.name for s in cfg.sources]
    urls = {s.url for s in cfg.sources}
    tables: list[dict[str, Any]] = []
    skipped = 0
    for e in entries:
        if e.url in urls:
            skipped += 1
            continue
        urls.add(e.url)
        name = unique_name(slug(e.title or e.url.split("//")[-1]), names)
        names.append(name)
        table: dict[str, Any] = {"name": name, "url": e.url, "kind": e.kind}
        group = e.group or args.group
        if group:
            table["group"] = slug(group)
        tables.append(table)
    if tables:
        add_sources(path, tables)
    print(
        f"imported {len(tables)} source{'' if len(tables) == 1 else 's'} from {file}"
        + (f"; {skipped} configured already" if skipped else "")
    )
    return 0


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    text = write_opml(ctx.config.sources)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(ctx.config.sources)} sources to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
