"""Programmatic Alembic: bring a database to the newest schema, or report where it is."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from storage import backfill

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The newest migration in ``migrations/versions`` (a test checks it against Alembic's own
#: answer). Every command checks the schema against it, so it is read without importing
#: Alembic, which costs a cron run about 0.2 s of start-up; Alembic is loaded only to upgrade.
HEAD_REVISION = "0006"
VERSION_TABLE = "alembic_version"


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    near_threshold: float | None = None,
    num_perm: int | None = None,
    progress: backfill.Progress | None = None,
) -> None:
    """Apply every pending migration, then finish any backfill they left (idempotent).

    The backfill indexes articles stored before revision 0004 in committed batches: a kill
    loses one batch and the next call goes on. ``near_threshold`` and ``num_perm`` choose the
    LSH layout of the band keys (the config's ``[dedup]`` values; defaults otherwise).
    """
    from alembic import command

    from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    if revision == "head":
        backfill.run(
            engine,
            near_threshold=near_threshold or DEFAULT_NEAR_THRESHOLD,
            num_perm=num_perm or DEFAULT_NUM_PERM,
            progress=progress,
        )


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


def head_revision() -> str | None:
    """The newest revision shipped with this version of newsmon."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    """True when the database has every migration applied and no backfill left to do."""
    if current_revision(engine) != HEAD_REVISION:
        return False
    with engine.connect() as conn:
        return not backfill.pending(conn)
