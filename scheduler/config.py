"""The one configuration object: loaded once from TOML, validated once, passed down.

Precedence is written in one function, :func:`load_config`: defaults < file < environment
(``NEWSMON_DATABASE_URL``) < command line (done by the CLI, which passes overrides).

The schema is the classes below with crawler.spec's ``CrawlOptions`` and ``SourceSpec`` and
crawler.watch's ``WatchRule``: msgspec structs whose fields declare their type, range or format,
so that one ``msgspec.convert`` checks the whole file and refuses keys it does not know. What no
single field can say (a time zone, an address, a source URL judged by ``[crawl]
allow_private_addresses``, names that must be unique or known) is checked right after, in
:func:`_check`. Nothing later checks the config again. Every error names the file and the key,
and says what was expected.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import os
import re
import tomllib
import typing
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

from crawler.addresses import host_refusal
from crawler.spec import CrawlOptions, OneLine, SourceSpec
from crawler.watch import WatchRule
from scheduler.paths import project_seeds_dir
from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS
from storage.exceptions import ConfigError

CONFIG_ENV = "NEWSMON_CONFIG"
DATABASE_ENV = "NEWSMON_DATABASE_URL"
DEFAULT_CONFIG_NAME = "newsmon.toml"
DEFAULT_SEEDS_DIR = "seeds"

_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
# A field's description is what its error says was expected (see _schema_error).
ClockTime = Annotated[
    str, Meta(pattern=rf"\A{_CLOCK_TIME.pattern}\Z", description="a time of day HH:MM (24-hour)")
]
Share = Annotated[float, Meta(ge=0, le=1)]
Seconds = Annotated[float, Meta(ge=0.1, le=3600)]
Days = Annotated[int, Meta(ge=1, le=36500)]


class StorageOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where articles are kept. A relative SQLite path is relative to the config file."""

    url: str = "sqlite:///newsmon.db"


class RelevanceOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How articles are scored against the topic learned from the seeds."""

    # None: "seeds" beside the config, or the bundled seeds when that folder is missing. A
    # folder named here must exist (see Config.seeds_path).
    seeds_dir: str | None = None
    model_dir: str = "model"
    threshold: Share = 0.5


class DedupOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Near-duplicate detection (MinHash LSH over word shingles); defaults: storage."""

    near_threshold: Annotated[float, Meta(ge=0.05, le=1)] = DEFAULT_NEAR_THRESHOLD
    num_perm: Annotated[int, Meta(ge=16, le=1024)] = DEFAULT_NUM_PERM
    shingle_words: Annotated[int, Meta(ge=1, le=20)] = DEFAULT_SHINGLE_WORDS


class SmtpOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Mail server. The password is read from the environment variable named here."""

    host: str = "localhost"
    port: Annotated[int, Meta(ge=1, le=65535)] = 25
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: Seconds = 30.0


class DigestOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The daily digest email."""

    sender: OneLine = "newsmon@localhost"
    recipients: tuple[str, ...] = ()
    subject_prefix: OneLine = "newsmon"
    send_time: ClockTime = "07:00"
    timezone: str = "UTC"
    max_stories: Annotated[int, Meta(ge=1, le=10000)] = 50
    send_empty: bool = True
    list_unsubscribe: OneLine | None = None
    out_dir: str = "digests"
    # What the digest is about, for the subject line ("Russian leadership stability").
    topic: OneLine = ""


class AlertOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Immediate alerts, sent by the crawl that stored the story (scheduler.alerts)."""

    threshold: Share = 0.95  # a story scoring at or above this is alerted at once
    max_per_hour: Annotated[int, Meta(ge=0, le=10000)] = 5  # beyond: left to the digest
    email: bool = False  # mail each alert to `recipients` (default: the digest's)
    recipients: tuple[str, ...] = ()
    webhook_url: str | None = None  # JSON POST, Slack-compatible ({"text": ...})
    timeout: Seconds = 10.0

    @property
    def active(self) -> bool:
        return self.email or bool(self.webhook_url)


class ScheduleOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Daemon mode (``newsmon schedule``)."""

    crawl_interval_minutes: Annotated[int, Meta(ge=1, le=7 * 24 * 60)] = 60
    crawl_timeout_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 50
    misfire_grace_seconds: Annotated[int, Meta(ge=1, le=7 * 24 * 3600)] = 600
    housekeeping_time: ClockTime = "03:30"
    retention_days: Days = 90


class UiOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The review desk (``newsmon serve``). Any address but loopback needs the token, which
    is read from the environment variable named here, never from the file."""

    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535)] = 8080
    reviewer: str | None = None
    token_env: str = "NEWSMON_UI_TOKEN"
    base_url: str | None = None
    inbox_days: Days = 7
    link_days: Annotated[int, Meta(ge=1, le=3650)] = 14


class FleetOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[fleet]``: several crawl workers on one Redis frontier (see scheduler/fleetconfig.py).
    Empty ``redis_url``: no fleet, one process crawls (the default)."""

    redis_url: str = ""
    key_prefix: str = "newsmon"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything newsmon reads from its configuration file, with defaults."""

    path: Path | None = None  # where the file is (not a key in it: parse_config refuses it)
    storage: StorageOptions = msgspec.field(default_factory=StorageOptions)
    crawl: CrawlOptions = msgspec.field(default_factory=CrawlOptions)
    relevance: RelevanceOptions = msgspec.field(default_factory=RelevanceOptions)
    dedup: DedupOptions = msgspec.field(default_factory=DedupOptions)
    smtp: SmtpOptions = msgspec.field(default_factory=SmtpOptions)
    digest: DigestOptions = msgspec.field(default_factory=DigestOptions)
    schedule: ScheduleOptions = msgspec.field(default_factory=ScheduleOptions)
    ui: UiOptions = msgspec.field(default_factory=UiOptions)
    alerts: AlertOptions = msgspec.field(default_factory=AlertOptions)
    fleet: FleetOptions = msgspec.field(default_factory=FleetOptions)
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


def clock_time(value: str) -> dt.time:
    """``HH:MM`` (24-hour; ``7:05`` too) as a time of day; ValueError for anything else
    (``07:00:30``, ``0700``, ``7pm``).

    The one reading of ``digest.send_time`` and ``schedule.housekeeping_time``, whose fields
    declare the same pattern: a config that loads has times the daemon's job plan can use.
    """
    match = _CLOCK_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"expected a time of day HH:MM (24-hour), got {value!r}")
    return dt.time(int(match[1]), int(match[2]))


@functools.cache
def _schema() -> mi.StructType:
    schema = mi.type_info(Config)
    assert isinstance(schema, mi.StructType)
    return schema


def _plain(tp: mi.Type) -> tuple[mi.Type, str | None]:
    """``tp`` without ``| None`` and Annotated metadata, and the description declared on it."""
    description = None
    while isinstance(tp, mi.Metadata | mi.UnionType):
        if isinstance(tp, mi.Metadata):
            description = description or (tp.extra_json_schema or {}).get("description")
            tp = tp.type
        else:
            tp = next(t for t in tp.types if not isinstance(t, mi.NoneType))
    return tp, description


def _describe(tp: mi.Type, key: str) -> str:
    if isinstance(tp, mi.VarTupleType):
        item, _ = _plain(tp.item_type)
        if isinstance(item, mi.StructType):
            return f"an array of tables [[{key}]]"
        return f"list of {_describe(item, key)}"
    names = {mi.IntType: "int", mi.FloatType: "float", mi.StrType: "str", mi.BoolType: "bool"}
    return names.get(type(tp), "a table")


def _within(tp: mi.IntType | mi.FloatType, value: float) -> bool:
    return (tp.ge is None or value >= tp.ge) and (tp.le is None or value <= tp.le)


def _schema_error(exc: msgspec.ValidationError, data: dict[str, Any], name: str) -> ConfigError:
    """msgspec's error ("Expected `int` >= 1 - at `$.crawl.retries`") in the config's words:
    the key, and what was expected (from the field's declaration) and given (from the file)."""
    text = str(exc)
    what, at = text.rsplit(" - at `$", 1) if " - at `$" in text else (text, "")
    key = at.rstrip("`").lstrip(".")
    try:
        key, message = _explain(what, key, data)
    except (LookupError, StopIteration, AssertionError):  # a key msgspec's words cannot carry
        return ConfigError(text, path=name)
    return ConfigError(message, path=name, key=key)


def _explain(what: str, key: str, data: dict[str, Any]) -> tuple[str, str]:
    """(key, message) for msgspec's ``what`` at ``key``."""
    tp: mi.Type = _schema()
    value: Any = data
    for field_name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        struct_or_list, _ = _plain(tp)
        if isinstance(struct_or_list, mi.VarTupleType):
            tp, value = struct_or_list.item_type, value[int(index)]
        else:
            assert isinstance(struct_or_list, mi.StructType)
            tp = next(f.type for f in struct_or_list.fields if f.encode_name == field_name)
            value = value[field_name]
    tp, description = _plain(tp)
    if missing := re.fullmatch(r"Object (contains unknown|missing required) field `(.*)`", what):
        assert isinstance(tp, mi.StructType)
        known = ", ".join(f.encode_name for f in tp.fields if f.name != "path")
        where = f"{key}.{missing[2]}" if key else missing[2]
        if missing[1] == "missing required":
            return where, f"missing required key {missing[2]!r}"
        return where, f"unknown {'key' if key else 'section'} {missing[2]!r}; known: {known}"
    if description:
        given = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        return key, f"expected {description}, got {given}"
    if isinstance(tp, mi.LiteralType):
        return key, f"expected one of {', '.join(map(repr, tp.values))}, got {value!r}"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(tp, mi.IntType | mi.FloatType) and number and not _within(tp, value):
        span = f"from {tp.ge:g} to {tp.le:g}" if tp.le is not None else f"{tp.ge:g} or more"
        return key, f"expected a number {span}, got {value!r}"
    return key, f"expected {_describe(tp, key)}, got {type(value).__name__} {value!r}"


def _is_address(value: str) -> bool:
    _name, addr = email.utils.parseaddr(value)
    return bool(addr) and addr.count("@") == 1 and "," not in value and " " not in addr


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check(cfg: Config, name: str) -> None:
    """What no single field can declare, checked once, right after the schema."""

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(message, path=name, key=key)

    try:
        zoneinfo.ZoneInfo(cfg.digest.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise fail(
            "digest.timezone",
            f"unknown time zone {cfg.digest.timezone!r} (use an IANA name like 'Europe/Moscow')",
        ) from None
    if not _is_address(cfg.digest.sender):
        raise fail("digest.sender", f"not an email address: {cfg.digest.sender!r}")
    for key, recipients in (
        ("digest.recipients", cfg.digest.recipients),
        ("alerts.recipients", cfg.alerts.recipients),
    ):
        for rcpt in recipients:
            if not _is_address(rcpt):
                raise fail(key, f"not one email address: {rcpt!r} (list each one separately)")
    if cfg.alerts.email and not (cfg.alerts.recipients or cfg.digest.recipients):
        raise fail(
            "alerts.recipients",
            "alerts by email need recipients: set alerts.recipients or digest.recipients",
        )
    for key, url in (
        ("alerts.webhook_url", cfg.alerts.webhook_url),
        ("ui.base_url", cfg.ui.base_url),
    ):
        if url is not None and not _is_http(url):
            raise fail(key, f"expected an http:// or https:// URL, got {url!r}")
    names: set[str] = set()
    for i, src in enumerate(cfg.sources):
        if not _is_http(src.url):
            raise fail(f"sources[{i}].url", f"expected an http:// or https:// URL, got {src.url!r}")
        hostname = urlsplit(src.url).hostname or ""
        refusal = None if cfg.crawl.allow_private_addresses else host_refusal(hostname)
        if refusal is not None:
            raise fail(
                f"sources[{i}].url",
                f"{src.url!r} is refused: {refusal}; set [crawl] allow_private_addresses = true "
                "to crawl local sites",
            )
        if src.name in names:
            raise fail(f"sources[{i}].name", f"duplicate source name {src.name!r}")
        names.add(src.name)
        for field_name in ("allow", "deny"):
            for pattern in getattr(src, field_name):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise fail(
                        f"sources[{i}].{field_name}",
                        f"not a valid regular expression {pattern!r}: {exc}",
                    ) from None
    rules: set[str] = set()
    for i, rule in enumerate(cfg.watch):
        if not rule.name.strip() or rule.name in rules:
            raise fail(
                f"watch[{i}].name", f"expected a unique, non-empty rule name, got {rule.name!r}"
            )
        rules.add(rule.name)
        if not any(t.strip() for t in rule.terms):
            raise fail(
                f"watch[{i}].terms", "expected at least one term (a name or word to watch for)"
            )
        if unknown := [n for n in rule.sources if n not in names]:
            raise fail(f"watch[{i}].sources", f"no source named {', '.join(map(repr, unknown))}")


def parse_config(text: str, path: Path | None) -> Config:
    """Parse and validate the TOML text of a config file."""
    name = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=name) from exc
    if "path" in data:  # Config.path is where the file is, not a setting
        raise ConfigError("unknown section 'path'", path=name, key="path")
    try:
        cfg = msgspec.convert(data, Config)
    except msgspec.ValidationError as exc:
        raise _schema_error(exc, data, name) from None
    cfg = msgspec.structs.replace(cfg, path=path)
    _check(cfg, name)
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
        cfg = msgspec.structs.replace(cfg, storage=StorageOptions(url=url))
    # Imported here: the checks need SQLAlchemy, which the config's own code does not.
    from scheduler.database_url import check_database_url

    if database_url:
        check_database_url(cfg.database_url, path=None, key="--database-url")
    elif url:
        check_database_url(cfg.database_url, path=None, key=f"${DATABASE_ENV}")
    else:
        check_database_url(cfg.database_url, path=str(path), key="storage.url")
    return cfg
