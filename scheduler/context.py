"""What every command gets: the config (loaded lazily, once) and the database handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from scheduler.config import Config, load_config
from storage.engine import make_engine, make_session_factory
from storage.exceptions import StorageError
from storage.migrate import is_up_to_date


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
        return make_engine(self.config.database_url)

    def migrated_engine(self) -> Engine:
        """The engine, after checking the schema is current (else: run `newsmon init`)."""
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
        return make_session_factory(self.migrated_engine())

    @cached_property
    def write_sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.migrated_engine(), write=True)
