"""The one configuration object: loaded once from TOML, validated, passed down.

Precedence is written in one function, :func:`load_config`: defaults < file < environment
(``NEWSMON_DATABASE_URL``) < command line (done by the CLI, which passes overrides).
Every error names the file and the key, and says what was expected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import math
import os
import re
import tomllib
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin
from urllib.parse import urlsplit

from crawler.addresses import host_refusal
from crawler.spec import SOURCE_KINDS, CrawlOptions, SourceSpec
from crawler.watch import WatchRule
from scheduler.paths import project_seeds_dir
from storage.exceptions import ConfigError

CONFIG_ENV = "NEWSMON_CONFIG"
DATABASE_ENV = "NEWSMON_DATABASE_URL"
DEFAULT_CONFIG_NAME = "newsmon.toml"
DEFAULT_SEEDS_DIR = "seeds"


@dataclass(frozen=True)
class StorageOptions:
    """Where articles are kept. A relative SQLite path is relative to the config file."""

    url: str = "sqlite:///newsmon.db"


@dataclass(frozen=True)
class RelevanceOptions:
    """How articles are scored against the topic learned from the seeds."""

    # None: "seeds" beside the config, or the bundled seeds when that folder is missing. A
    # folder named here must exist (see Config.seeds_path).
    seeds_dir: str | None = None
    model_dir: str = "model"
    threshold: float = 0.5


@dataclass(frozen=True)
class DedupOptions:
    """Near-duplicate detection (MinHash LSH over word shingles)."""

    near_threshold: float = 0.8
    num_perm: int = 128
    shingle_words: int = 5


@dataclass(frozen=True)
class SmtpOptions:
    """Mail server. The password is read from the environment variable named here."""

    host: str = "localhost"
    port: int = 25
    security: str = "starttls"  # "none", "starttls" or "tls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class DigestOptions:
    """The daily digest email."""

    sender: str = "newsmon@localhost"
    recipients: tuple[str, ...] = ()
    subject_prefix: str = "newsmon"
    send_time: str = "07:00"
    timezone: str = "UTC"
    max_stories: int = 50
    send_empty: bool = True
    list_unsubscribe: str | None = None
    out_dir: str = "digests"
    # What the digest is about, for the subject line ("Russian leadership stability").
    topic: str = ""


@dataclass(frozen=True)
class AlertOptions:
    """Immediate alerts, sent by the crawl that stored the story (scheduler.alerts)."""

    threshold: float = 0.95  # a story scoring at or above this is alerted at once
    max_per_hour: int = 5  # beyond this, stories are left to the digest
    email: bool = False  # mail each alert to `recipients` (default: the digest's)
    recipients: tuple[str, ...] = ()
    webhook_url: str | None = None  # JSON POST, Slack-compatible ({"text": ...})
    timeout: float = 10.0

    @property
    def active(self) -> bool:
        return self.email or bool(self.webhook_url)


@dataclass(frozen=True)
class ScheduleOptions:
    """Daemon mode (``newsmon schedule``)."""

    crawl_interval_minutes: int = 60
    crawl_timeout_minutes: int = 50
    misfire_grace_seconds: int = 600
    housekeeping_time: str = "03:30"
    retention_days: int = 90


@dataclass(frozen=True)
class UiOptions:
    """The review desk (``newsmon serve``). Any address but loopback needs the token, which
    is read from the environment variable named here, never from the file."""

    host: str = "127.0.0.1"
    port: int = 8080
    reviewer: str | None = None
    token_env: str = "NEWSMON_UI_TOKEN"
    base_url: str | None = None
    inbox_days: int = 7
    link_days: int = 14


@dataclass(frozen=True)
class FleetOptions:
    """``[fleet]``: several crawl workers on one Redis frontier (see scheduler/fleetconfig.py).
    Empty ``redis_url``: no fleet, one process crawls (the default)."""

    redis_url: str = ""
    key_prefix: str = "newsmon"


@dataclass(frozen=True)
class Config:
    """Everything newsmon reads from its configuration file, with defaults."""

    path: Path | None = None
    storage: StorageOptions = field(default_factory=StorageOptions)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    relevance: RelevanceOptions = field(default_factory=RelevanceOptions)
    dedup: DedupOptions = field(default_factory=DedupOptions)
    smtp: SmtpOptions = field(default_factory=SmtpOptions)
    digest: DigestOptions = field(default_factory=DigestOptions)
    schedule: ScheduleOptions = field(default_factory=ScheduleOptions)
    ui: UiOptions = field(default_factory=UiOptions)
    alerts: AlertOptions = field(default_factory=AlertOptions)
    fleet: FleetOptions = field(default_factory=FleetOptions)
    sources: tuple[SourceSpec, ...] = ()
    watch: tuple[WatchRule, ...] = ()  # [[watch]] rules (crawler.watch)

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths in the config are resolved against."""
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, value: str) -> Path:
        """Resolve a path from the config relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def seeds_folder(self) -> Path:
        """Where the seeds belong: ``[relevance].seeds_dir`` (default ``seeds``), which may
        not exist yet (``newsmon init`` and ``newsmon seeds add`` create it)."""
        return self.resolve(self.relevance.seeds_dir or DEFAULT_SEEDS_DIR)

    @property
    def seeds_path(self) -> Path:
        """The seeds to train from: ``[relevance].seeds_dir``, which must exist when the config
        names it (a typo would otherwise go unnoticed); unset, ``seeds`` beside the config,
        else the checkout's bundled ``seeds/``."""
        path = self.seeds_folder
        if path.is_dir():
            return path
        if self.relevance.seeds_dir is None:
            return project_seeds_dir()
        raise ConfigError(
            f"seeds folder {path} does not exist: fix the path, or run `newsmon init` to copy "
            "the bundled seeds there",
            path=str(self.path) if self.path else None,
            key="relevance.seeds_dir",
        )

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path made absolute."""
        url = self.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str(self.resolve(rest))
        return url

    def enabled_sources(self, names: typing.Sequence[str] | None = None) -> list[SourceSpec]:
        """Enabled sources, or the named ones (enabled or not) when names are given."""
        if not names:
            return [s for s in self.sources if s.enabled]
        by_name = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ConfigError(
                f"no source named {', '.join(map(repr, unknown))}; "
                f"configured: {', '.join(sorted(by_name)) or '(none)'}",
                path=str(self.path) if self.path else None,
                key="sources",
            )
        return [by_name[n] for n in names]


T = TypeVar("T")
_SECTIONS: dict[str, type[Any]] = {
    "storage": StorageOptions,
    "crawl": CrawlOptions,
    "relevance": RelevanceOptions,
    "dedup": DedupOptions,
    "smtp": SmtpOptions,
    "digest": DigestOptions,
    "schedule": ScheduleOptions,
    "ui": UiOptions,
    "alerts": AlertOptions,
    "fleet": FleetOptions,
}


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    if origin is tuple:
        return f"list of {_type_name(get_args(tp)[0])}"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, where: str, path: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it in the dataclass's form."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where, path)
            except ConfigError:
                continue
    elif origin is tuple:
        (inner, *_rest) = get_args(tp)
        if isinstance(value, list):
            return tuple(_coerce(v, inner, where, path) for v in value)
    elif origin is typing.Literal:
        if value in get_args(tp):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp in (str, bool) and isinstance(value, tp):
        return value
    raise ConfigError(
        f"expected {_type_name(tp)}, got {type(value).__name__} {value!r}", path=path, key=where
    )


def _build(cls: type[T], table: Any, where: str, path: str) -> T:
    if not isinstance(table, dict):
        raise ConfigError(f"expected a table, got {type(table).__name__}", path=path, key=where)
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(
                f"unknown key {key!r}; known keys: {', '.join(sorted(fields))}",
                path=path,
                key=f"{where}.{key}",
            )
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}", path)
    return cls(**kwargs)


def _check_url(url: str, where: str, path: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"expected an http:// or https:// URL, got {url!r}", path=path, key=where)
    refusal = None if allow_private else host_refusal(parts.hostname)
    if refusal is not None:
        raise ConfigError(
            f"{url!r} is refused: {refusal}; set [crawl] allow_private_addresses = true to "
            "crawl local sites",
            path=path,
            key=where,
        )


def _build_sources(raw: Any, path: str, *, allow_private: bool) -> tuple[SourceSpec, ...]:
    if not isinstance(raw, list):
        raise ConfigError("expected an array of tables [[sources]]", path=path, key="sources")
    seen: set[str] = set()
    out: list[SourceSpec] = []
    for i, table in enumerate(raw):
        where = f"sources[{i}]"
        if isinstance(table, dict):
            for required in ("name", "url", "kind"):
                if required not in table:
                    raise ConfigError(
                        f"missing required key {required!r}", path=path, key=f"{where}.{required}"
                    )
            if table.get("kind") not in SOURCE_KINDS:
                raise ConfigError(
                    f"expected one of {', '.join(SOURCE_KINDS)}, got {table.get('kind')!r}",
                    path=path,
                    key=f"{where}.kind",
                )
        spec = _build(SourceSpec, table, where, path)
        _check_url(spec.url, f"{where}.url", path, allow_private=allow_private)
        if spec.name in seen:
            raise ConfigError(
                f"duplicate source name {spec.name!r}", path=path, key=f"{where}.name"
            )
        if spec.max_articles < 1 or spec.max_depth < 0:
            raise ConfigError("max_articles must be >= 1 and max_depth >= 0", path=path, key=where)
        seen.add(spec.name)
        out.append(spec)
    return tuple(out)


def _build_watch(raw: Any, path: str, sources: tuple[SourceSpec, ...]) -> tuple[WatchRule, ...]:
    """``[[watch]]`` rules: a unique name, at least one term, known source names."""
    if not isinstance(raw, list):
        raise ConfigError("expected an array of tables [[watch]]", path=path, key="watch")
    names = {s.name for s in sources}
    seen: set[str] = set()
    out: list[WatchRule] = []
    for i, table in enumerate(raw):
        where = f"watch[{i}]"
        if isinstance(table, dict):
            for required in ("name", "terms"):
                if required not in table:
                    raise ConfigError(
                        f"missing required key {required!r}", path=path, key=f"{where}.{required}"
                    )
        rule = _build(WatchRule, table, where, path)
        if not rule.name.strip() or rule.name in seen:
            raise ConfigError(
                f"expected a unique, non-empty rule name, got {rule.name!r}",
                path=path,
                key=f"{where}.name",
            )
        if not any(t.strip() for t in rule.terms):
            raise ConfigError(
                "expected at least one term (a name or word to watch for)",
                path=path,
                key=f"{where}.terms",
            )
        unknown = [n for n in rule.sources if n not in names]
        if unknown:
            raise ConfigError(
                f"no source named {', '.join(map(repr, unknown))}",
                path=path,
                key=f"{where}.sources",
            )
        seen.add(rule.name)
        out.append(rule)
    return tuple(out)


# (section, key, lowest, highest): numeric settings and their allowed closed range.
_RANGES: tuple[tuple[str, str, float, float], ...] = (
    ("crawl", "concurrent_requests", 1, 1000),
    ("crawl", "concurrent_per_domain", 1, 100),
    ("crawl", "download_delay", 0, 3600),
    ("crawl", "timeout", 0.1, 3600),
    ("crawl", "retries", 0, 20),
    ("crawl", "max_page_bytes", 1024, 2**31),
    ("crawl", "max_article_age_days", 0, 36500),
    ("crawl", "extract_workers", 0, 256),
    ("crawl", "extract_timeout", 1, 3600),
    ("relevance", "threshold", 0, 1),
    ("dedup", "near_threshold", 0.05, 1),
    ("dedup", "num_perm", 16, 1024),
    ("dedup", "shingle_words", 1, 20),
    ("smtp", "port", 1, 65535),
    ("smtp", "timeout", 0.1, 3600),
    ("digest", "max_stories", 1, 10000),
    ("alerts", "threshold", 0, 1),
    ("alerts", "max_per_hour", 0, 10000),
    ("alerts", "timeout", 0.1, 3600),
    ("schedule", "crawl_interval_minutes", 1, 7 * 24 * 60),
    ("schedule", "crawl_timeout_minutes", 1, 24 * 60),
    ("schedule", "misfire_grace_seconds", 1, 7 * 24 * 3600),
    ("schedule", "retention_days", 1, 36500),
    ("ui", "port", 0, 65535),
    ("ui", "inbox_days", 1, 36500),
    ("ui", "link_days", 1, 3650),
)
# Values that end up in HTTP or mail headers must not smuggle in extra header lines.
_HEADER_VALUES = (
    ("crawl", "user_agent"),
    ("digest", "sender"),
    ("digest", "subject_prefix"),
    ("digest", "list_unsubscribe"),
    ("digest", "topic"),
)
_TIMES = (("digest", "send_time"), ("schedule", "housekeeping_time"))


def _is_address(value: str) -> bool:
    _name, addr = email.utils.parseaddr(value)
    return bool(addr) and addr.count("@") == 1 and "," not in value and " " not in addr


_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def clock_time(value: str) -> dt.time:
    """``HH:MM`` (24-hour; ``7:05`` too) as a time of day; ValueError for anything else
    (``07:00:30``, ``0700``, ``7pm``).

    The one reading of ``digest.send_time`` and ``schedule.housekeeping_time``: checked when
    the config is loaded, so the daemon's job plan can use it and never refuses a config that
    the other commands accepted.
    """
    match = _CLOCK_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"expected a time of day HH:MM (24-hour), got {value!r}")
    return dt.time(int(match[1]), int(match[2]))


def _validate(cfg: Config, path: str) -> None:
    for section, key, low, high in _RANGES:
        value = getattr(getattr(cfg, section), key)
        if not (math.isfinite(value) and low <= value <= high):
            raise ConfigError(
                f"expected a number from {low:g} to {high:g}, got {value!r}",
                path=path,
                key=f"{section}.{key}",
            )
    for section, key in _HEADER_VALUES:
        value = getattr(getattr(cfg, section), key)
        if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ConfigError(
                "must be one line without control characters", path=path, key=f"{section}.{key}"
            )
    for section, key in _TIMES:
        value = getattr(getattr(cfg, section), key)
        try:
            clock_time(value)
        except ValueError as exc:
            raise ConfigError(str(exc), path=path, key=f"{section}.{key}") from None
    try:
        zoneinfo.ZoneInfo(cfg.digest.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {cfg.digest.timezone!r} (use an IANA name like 'Europe/Moscow')",
            path=path,
            key="digest.timezone",
        ) from None
    if not _is_address(cfg.digest.sender):
        raise ConfigError(
            f"not an email address: {cfg.digest.sender!r}", path=path, key="digest.sender"
        )
    for rcpt in cfg.digest.recipients:
        if not _is_address(rcpt):
            raise ConfigError(
                f"not one email address: {rcpt!r} (list each recipient separately)",
                path=path,
                key="digest.recipients",
            )
    for rcpt in cfg.alerts.recipients:
        if not _is_address(rcpt):
            raise ConfigError(
                f"not one email address: {rcpt!r} (list each recipient separately)",
                path=path,
                key="alerts.recipients",
            )
    if cfg.alerts.webhook_url is not None:
        parts = urlsplit(cfg.alerts.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"expected an http:// or https:// URL, got {cfg.alerts.webhook_url!r}",
                path=path,
                key="alerts.webhook_url",
            )
    if cfg.alerts.email and not (cfg.alerts.recipients or cfg.digest.recipients):
        raise ConfigError(
            "alerts by email need recipients: set alerts.recipients or digest.recipients",
            path=path,
            key="alerts.recipients",
        )
    if cfg.smtp.security not in ("none", "starttls", "tls"):
        raise ConfigError(
            f"expected 'none', 'starttls' or 'tls', got {cfg.smtp.security!r}",
            path=path,
            key="smtp.security",
        )
    if cfg.ui.base_url is not None and urlsplit(cfg.ui.base_url).scheme not in ("http", "https"):
        raise ConfigError(
            f"expected the desk's http:// or https:// address, got {cfg.ui.base_url!r}",
            path=path,
            key="ui.base_url",
        )
    for i, src in enumerate(cfg.sources):
        for field_name in ("allow", "deny"):
            for pattern in getattr(src, field_name):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ConfigError(
                        f"not a valid regular expression {pattern!r}: {exc}",
                        path=path,
                        key=f"sources[{i}].{field_name}",
                    ) from None


def parse_config(text: str, path: Path | None) -> Config:
    """Parse and validate the TOML text of a config file."""
    name = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=name) from exc
    kwargs: dict[str, Any] = {"path": path}
    for key, value in data.items():
        if key in ("sources", "watch"):
            continue
        if key in _SECTIONS:
            kwargs[key] = _build(_SECTIONS[key], value, key, name)
        else:
            raise ConfigError(
                f"unknown section {key!r}; known: {', '.join([*_SECTIONS, 'sources', 'watch'])}",
                path=name,
                key=key,
            )
    if "sources" in data:
        allow_private = kwargs.get("crawl", CrawlOptions()).allow_private_addresses
        kwargs["sources"] = _build_sources(data["sources"], name, allow_private=allow_private)
    if "watch" in data:
        kwargs["watch"] = _build_watch(data["watch"], name, kwargs.get("sources", ()))
    cfg = Config(**kwargs)
    _validate(cfg, name)
    return cfg


def find_config_path(explicit: str | None, environ: typing.Mapping[str, str]) -> Path:
    """The config file to use: --config, else $NEWSMON_CONFIG, else ./newsmon.toml."""
    if explicit:
        return Path(explicit).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return Path(DEFAULT_CONFIG_NAME)


def load_config(
    explicit: str | None = None,
    environ: typing.Mapping[str, str] | None = None,
    *,
    database_url: str | None = None,
) -> Config:
    """Load the config: defaults < file < environment < command line (``database_url``)."""
    env = os.environ if environ is None else environ
    path = find_config_path(explicit, env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            "config file not found; create one with `newsmon init` or pass --config",
            path=str(path),
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", path=str(path)) from exc
    cfg = parse_config(text, path.resolve())
    url = database_url or env.get(DATABASE_ENV)
    if url:
        cfg = dataclasses.replace(cfg, storage=StorageOptions(url=url))
    # Imported here: the checks need SQLAlchemy, which the config's own code does not.
    from scheduler.database_url import check_database_url

    if database_url:
        check_database_url(cfg.database_url, path=None, key="--database-url")
    elif url:
        check_database_url(cfg.database_url, path=None, key=f"${DATABASE_ENV}")
    else:
        check_database_url(cfg.database_url, path=str(path), key="storage.url")
    return cfg
