"""``newsmon digest``: build the digest of new relevant stories and mail it, exactly once.

Exit statuses: 0 sent (or nothing to send), 2 config error, 4 another digest run holds the
lock, 5 the mail server could not be used (nothing marked sent; the next run carries it all) or
the message went out but the server's reply to it was lost (delivery uncertain: the next run sends
that same message again, same Message-ID).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from scheduler.config import Config
from scheduler.context import Context
from scheduler.digest.service import DigestService
from scheduler.lock import run_lock
from scheduler.mailer import smtp_mailer
from storage import digests
from storage.engine import session_scope
from storage.exceptions import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "digest",
        help="mail the digest of new relevant stories",
        description="Mail the digest of relevant stories not yet delivered to the configured "
        "recipients (since the last digest that was actually delivered). Safe to run from "
        "cron: a second concurrent run exits with status 4. An interrupted earlier send is "
        "repeated with the same Message-ID before a new digest is built.",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="write the message as .eml (to [digest] out_dir) and print its text; "
        "send and mark nothing",
    )
    p.add_argument("--out", metavar="DIR", help="with --dry-run: write the .eml here instead")
    p.set_defaults(func=run)


def check_digest_config(cfg: Config, *, sending: bool) -> None:
    """Fail by key when sending without recipients (the config's values were checked when it
    was loaded; an empty list is valid for --dry-run)."""
    if sending and not cfg.digest.recipients:
        raise ConfigError(
            "no recipients: list at least one address",
            path=str(cfg.path) if cfg.path else None,
            key="digest.recipients",
        )


def desk_links(ctx: Context) -> Callable[[int], dict[str, str]] | None:
    """With ``ui.base_url`` set, each story carries signed review-desk links."""
    base_url = ctx.config.ui.base_url
    if not base_url:
        return None
    from scheduler.desk.tokens import desk_secret, review_links

    return review_links(base_url, desk_secret(ctx.write_sessions))


def run(args: argparse.Namespace, ctx: Context) -> int:
    cfg = ctx.config
    check_digest_config(cfg, sending=not args.dry_run)
    if args.dry_run:
        service = DigestService(ctx.sessions, cfg.digest, links=desk_links(ctx))
        with session_scope(ctx.sessions) as session:
            stuck = digests.pending(session, service.key)
        if stuck is not None:
            print(
                f"note: digest #{stuck.id} ({stuck.subject}) is pending; the next real run "
                "sends it again before this one",
                file=sys.stderr,
            )
        out = service.dry_run(cfg.resolve(args.out or cfg.digest.out_dir))
        sys.stdout.write(out.text or "")
        print(f"dry run: {out.subject}; message written to {out.eml_path}", file=sys.stderr)
        return 0
    mailer = smtp_mailer(cfg.smtp, ctx.environ, config_path=str(cfg.path) if cfg.path else None)
    with run_lock(cfg.database_url, "digest", fallback_dir=cfg.base_dir):
        service = DigestService(
            ctx.write_sessions, cfg.digest, mailer=mailer, links=desk_links(ctx)
        )
        for outcome in service.run():
            if getattr(args, "quiet", False):
                continue  # under cron: a line on every good day would be mailed every day
            if outcome.action == "skipped":
                print("nothing new since the last digest; nothing sent")
            else:
                print(f"digest {outcome.action}: {outcome.subject} ({outcome.message_id})")
    return 0
