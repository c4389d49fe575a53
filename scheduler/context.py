"""What every command gets: the config (loaded lazily, once) and the database handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from scheduler.config import Config, load_config
from storage.exceptions import StorageError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

# SQLAlchemy and the storage modules are imported when a command first asks for the database
# (importing this module: 0.45 -> 0.06 s), so a command that fails on its config never loads
# them.


@dataclass
class Context:
    """Built once by the CLI and passed to the command."""

    config_path: str | None = None
    database_url: str | None = None
    environ: dict[str, str] = field(default_factory=dict)
    interactive: bool = False

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path, self.environ, database_url=self.database_url)

    @cached_property
    def engine(self) -> Engine:
        from storage.engine import make_engine

        return make_engine(self.config.database_url)

    def migrated_engine(self) -> Engine:
        """The engine, after checking the schema is current (else: run `newsmon init`)."""
        from storage.migrate import is_up_to_date

        engine = self.engine
        try:
            ok = is_up_to_date(engine)
        except Exception as exc:  # driver errors differ per backend
            raise StorageError(f"cannot open database {engine.url!r}: {exc}") from exc
        if not ok:
            raise StorageError(
                f"database {engine.url.render_as_string(hide_password=True)} is not initialised "
                "or is out of date: run `newsmon init`"
            )
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from storage.engine import make_session_factory

        return make_session_factory(self.migrated_engine())

    @cached_property
    def write_sessions(self) -> sessionmaker[Session]:
        from storage.engine import make_session_factory

        return make_session_factory(self.migrated_engine(), write=True)
