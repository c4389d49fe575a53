"""The config loader: defaults, precedence, and errors that name the file and the key."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.relevance import ModelStore
from scheduler.cli import main
from scheduler.config import Config, load_config, parse_config
from scheduler.crawljob import build_crawl_job
from scheduler.jobplan import plan_jobs
from storage.dedup_defaults import DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS
from storage.exceptions import ConfigError

GOOD = """
[storage]
url = "sqlite:///data/news.db"

[crawl]
timeout = 10
user_agent = "test-agent"

[relevance]
threshold = 0.6

[[sources]]
name = "wire"
url = "https://news.example.org/rss.xml"
kind = "feed"
allow = ["/politics/"]
max_articles = 20
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_defaults_and_types(tmp_path: Path) -> None:
    cfg = load_config(str(write(tmp_path, GOOD)), {})
    assert cfg.crawl.timeout == 10.0 and isinstance(cfg.crawl.timeout, float)
    assert cfg.crawl.retries == 2  # default kept
    assert cfg.relevance.threshold == 0.6
    (src,) = cfg.sources
    assert src.allow == ("/politics/",) and src.max_articles == 20 and src.enabled
    # A relative SQLite path is relative to the config file, not the working directory.
    assert cfg.database_url == f"sqlite:///{tmp_path / 'data' / 'news.db'}"


def test_precedence_file_then_environment_then_command_line(tmp_path: Path) -> None:
    path = str(write(tmp_path, GOOD))
    env = {"NEWSMON_DATABASE_URL": "sqlite:////tmp/from-env.db"}
    assert load_config(path, env).database_url == "sqlite:////tmp/from-env.db"
    cli = load_config(path, env, database_url="sqlite:////tmp/from-cli.db")
    assert cli.database_url == "sqlite:////tmp/from-cli.db"
    # NEWSMON_CONFIG is used when --config is absent.
    assert load_config(None, {"NEWSMON_CONFIG": path}).crawl.user_agent == "test-agent"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[crawl]\ntimeout = 'fast'\n", "crawl.timeout", "expected float"),
        ("[crawl]\nretries = true\n", "crawl.retries", "expected int"),
        ("[crawl]\ntimout = 3\n", "crawl.timout", "unknown key"),
        ("[crawling]\n", "crawling", "unknown section"),
        ("[relevance]\nthreshold = 1.5\n", "relevance.threshold", "from 0 to 1"),
        ("[crawl]\nextract_timeout = 0\n", "crawl.extract_timeout", "from 1 to 3600"),
        ("[smtp]\nsecurity = 'ssl'\n", "smtp.security", "starttls"),
        ("[[sources]]\nname='a'\nkind='feed'\n", "sources[0].url", "missing required key"),
        ("[[sources]]\nname='a'\nurl='https://x.org/'\nkind='rss'\n", "sources[0].kind", "feed"),
        (
            "[[sources]]\nname='a'\nurl='file:///etc/passwd'\nkind='feed'\n",
            "sources[0].url",
            "http",
        ),
        ("[[sources]]\nname='a'\nurl='ftp://x.org/f'\nkind='feed'\n", "sources[0].url", "http"),
        (
            "[[sources]]\nname='a'\nurl='http://127.0.0.1:8000/'\nkind='feed'\n",
            "sources[0].url",
            "allow_private_addresses",
        ),
        (
            "[[sources]]\nname='a'\nurl='http://169.254.169.254/'\nkind='page'\n",
            "sources[0].url",
            "link-local",
        ),
        (
            "[[sources]]\nname='a'\nurl='http://localhost/'\nkind='page'\n",
            "sources[0].url",
            "loopback",
        ),
        (
            "[[sources]]\nname='a'\nurl='https://x.org/'\nkind='feed'\n"
            "[[sources]]\nname='a'\nurl='https://y.org/'\nkind='feed'\n",
            "sources[1].name",
            "duplicate",
        ),
        (
            "[[sources]]\nname='a'\nurl='https://x.org/'\nkind='feed'\nallow='/x/'\n",
            "sources[0].allow",
            "list of str",
        ),
        ("sources = 3\n", "sources", "array of tables"),
        ("this is = not toml [\n", None, "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path), {})
    message = str(info.value)
    assert str(path.resolve()) in message or str(path) in message
    if key:
        assert f"[{key}]" in message
    assert words in message


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("100.64.1.1", "100.64.1.1 is a shared (carrier-grade NAT) address"),
        ("192.0.0.9", "192.0.0.9 is a special-purpose address"),
        ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1 (127.0.0.1) is a loopback address"),
        ("[::ffff:10.0.0.1]", "::ffff:10.0.0.1 (10.0.0.1) is a private address"),
        ("[2002:7f00:1::]", "2002:7f00:1:: (127.0.0.1) is a loopback address"),
        ("2130706433", "2130706433 (127.0.0.1) is a loopback address"),
        ("0177.0.0.1", "0177.0.0.1 (127.0.0.1) is a loopback address"),
        ("0x7f.0.0.1", "0x7f.0.0.1 (127.0.0.1) is a loopback address"),
        ("0xa9fea9fe", "(169.254.169.254) is a link-local address"),
    ],
)
def test_source_urls_must_be_public_as_the_fetch_judges_it(host: str, words: str) -> None:
    """The same definition as the fetch middleware (crawler.addresses), odd spellings included."""
    text = f"[[sources]]\nname='a'\nurl='http://{host}:8000/feed.xml'\nkind='feed'\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, None)
    assert "[sources[0].url]" in str(info.value)
    assert words in str(info.value)
    assert "allow_private_addresses = true" in str(info.value)
    allowed = parse_config("[crawl]\nallow_private_addresses = true\n" + text, None)
    assert allowed.sources[0].url == f"http://{host}:8000/feed.xml"


@pytest.mark.parametrize(
    "host", ["93.184.216.34", "[2606:4700::1111]", "[64:ff9b::5db8:d822]", "news.example.org"]
)
def test_public_source_urls_accepted(host: str) -> None:
    text = f"[[sources]]\nname='a'\nurl='https://{host}/feed.xml'\nkind='feed'\n"
    assert parse_config(text, None).sources[0].url == f"https://{host}/feed.xml"


def test_private_addresses_allowed_when_config_says_so() -> None:
    cfg = parse_config(
        "[crawl]\nallow_private_addresses = true\n"
        "[[sources]]\nname='local'\nurl='http://127.0.0.1:8000/feed.xml'\nkind='feed'\n",
        None,
    )
    assert cfg.sources[0].url.startswith("http://127.0.0.1")


def test_unknown_source_name_is_a_config_error() -> None:
    cfg = parse_config("[[sources]]\nname='a'\nurl='https://x.org/'\nkind='feed'\n", None)
    with pytest.raises(ConfigError, match="no source named 'b'"):
        cfg.enabled_sources(["b"])


def test_cli_reports_missing_config_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code = main(["--config", str(missing), "stats"]) if _has("stats") else 2
    assert code == 2
    if _has("stats"):
        err = capsys.readouterr().err
        assert "nope.toml" in err and "newsmon init" in err


def test_init_writes_a_valid_starter_config_and_database(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "newsmon.toml"
    assert main(["--config", str(path), "init"]) == 0
    cfg = load_config(str(path), {})
    assert len(cfg.sources) >= 5
    assert all(s.url.startswith("https://") for s in cfg.sources)
    db = tmp_path / "cfg" / "newsmon.db"
    assert db.exists() and (db.stat().st_mode & 0o777) == 0o600
    assert (path.stat().st_mode & 0o777) == 0o600
    # The relevance model is trained by init, not by the first crawl.
    model = ModelStore(tmp_path / "cfg" / "model")
    trained = model.current_version()
    assert trained is not None
    # Running init again keeps the edited config, and the model.
    path.write_text(path.read_text() + "\n# my edit\n")
    assert main(["--config", str(path), "init"]) == 0
    assert "# my edit" in path.read_text()
    assert model.current_version() == trained


def _has(command: str) -> bool:
    return (
        Path(__file__).resolve().parents[2] / "scheduler" / "commands" / f"{command}.py"
    ).exists()


def test_a_configured_seeds_dir_that_does_not_exist_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    path = write(
        tmp_path,
        '[relevance]\nseeds_dir = "seedz"\n'
        '[[sources]]\nname = "wire"\nurl = "https://news.example.org/rss.xml"\nkind = "feed"\n',
    )
    page = tmp_path / "page.txt"
    page.write_text("The Kremlin reshuffles the Security Council.", encoding="utf-8")
    for argv in (["seeds"], ["score", str(page)], ["crawl"]):
        capsys.readouterr()
        assert main(["--config", str(path), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert f"{path}: [relevance.seeds_dir] seeds folder {tmp_path / 'seedz'}" in err, err
        assert "does not exist" in err


def test_without_seeds_dir_the_bundled_seeds_are_used_and_init_copies_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    bundled = Path(__file__).resolve().parents[2] / "seeds"
    count = len(list(bundled.glob("*.txt")))
    # No seeds_dir and no ./seeds beside the config: the bundled seeds, as before.
    plain = write(tmp_path, "[relevance]\nthreshold = 0.5\n")
    capsys.readouterr()
    assert main(["--config", str(plain), "seeds"]) == 0
    assert f"{count} seed articles in {bundled}" in capsys.readouterr().out
    # The starter config names seeds_dir = "seeds"; init copies the bundled seeds there.
    starter = tmp_path / "mine" / "newsmon.toml"
    assert main(["--config", str(starter), "init"]) == 0
    assert 'seeds_dir = "seeds"' in starter.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", str(starter), "seeds"]) == 0
    assert f"{count} seed articles in {tmp_path / 'mine' / 'seeds'}" in capsys.readouterr().out


def _declared_ranges() -> Iterator[tuple[str, float, float | None]]:
    """(key, lowest, highest) of every number in the config's tables, as its field declares."""
    schema = msgspec.inspect.type_info(Config)
    assert isinstance(schema, msgspec.inspect.StructType)
    for section in schema.fields:
        if isinstance(section.type, msgspec.inspect.StructType):
            for f in section.type.fields:
                tp = f.type.type if isinstance(f.type, msgspec.inspect.Metadata) else f.type
                if isinstance(tp, msgspec.inspect.IntType | msgspec.inspect.FloatType):
                    yield f"{section.encode_name}.{f.encode_name}", tp.ge, tp.le


def test_a_range_declared_on_a_field_stops_every_command_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[crawl]\ndownload_delay = -1\n")
    for argv in (["stats"], ["crawl"], ["schedule", "--list"]):
        capsys.readouterr()
        assert main(["--config", str(path), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert (
            f"{path.resolve()}: [crawl.download_delay] expected a number from 0 to 3600, got -1"
            in err
        )


@pytest.mark.parametrize(("key", "low", "high"), list(_declared_ranges()))
def test_every_declared_range_is_enforced_at_load(key: str, low: float, high: float | None) -> None:
    """Both ends load; one past either end is refused, naming the file and the key."""
    section, name = key.split(".")
    path = Path("/etc/newsmon/newsmon.toml")
    for value in (low, high):
        if value is not None:
            parse_config(f"[{section}]\n{name} = {value!r}\n", path)
    span = f"{low:g} or more" if high is None else f"from {low:g} to {high:g}"
    for value in (low - 1, None if high is None else high + 1):
        if value is None:
            continue
        with pytest.raises(ConfigError) as info:
            parse_config(f"[{section}]\n{name} = {value!r}\n", path)
        assert info.value.key == key and str(path) in str(info.value)
        assert f"expected a number {span}, got {value!r}" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[crawl]\ndelay = 1\n", "crawl.delay"),
        (
            "[[sources]]\nname='a'\nurl='https://x.org/'\nkind='feed'\ncolour='red'\n",
            "sources[0].colour",
        ),
        ("[[watch]]\nname='w'\nterms=['x']\nurgnet=true\n", "watch[0].urgnet"),
    ],
)
def test_an_unknown_key_is_refused_naming_it_and_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    path = write(tmp_path, text)
    assert main(["--config", str(path), "stats"]) == 2
    err = capsys.readouterr().err
    name = key.rsplit(".", 1)[1]
    assert f"{path.resolve()}: [{key}] unknown key {name!r}; known: " in err, err


def test_path_is_not_a_setting() -> None:
    """Config.path is where the file was read from; the file cannot set it."""
    with pytest.raises(ConfigError, match=r"\[path\] unknown section 'path'"):
        parse_config('path = "/elsewhere.toml"\n', None)


@pytest.mark.parametrize("key", ["digest.send_time", "schedule.housekeeping_time"])
@pytest.mark.parametrize("value", ["07:00:30", "0700", "24:00", "7pm", "07:00\\n", " 07:00"])
def test_a_clock_time_is_refused_at_load(key: str, value: str) -> None:
    """Checked once, by the schema (the same pattern clock_time reads): the digest and the
    daemon never meet a time they cannot use (tests/scheduler/test_cli_details.py runs the
    commands)."""
    section, name = key.split(".")
    with pytest.raises(ConfigError) as info:
        parse_config(f'[{section}]\n{name} = "{value}"\n', Path("/etc/newsmon.toml"))
    assert info.value.key == key
    assert "/etc/newsmon.toml" in str(info.value)
    assert "expected a time of day HH:MM (24-hour), got" in str(info.value)


_SCHEDULE = {k: (lo, hi) for k, lo, hi in _declared_ranges() if k.startswith("schedule.")}


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(sorted(zoneinfo.available_timezones())),
    send=st.tuples(st.integers(0, 23), st.integers(0, 59), st.booleans()),
    housekeeping=st.tuples(st.integers(0, 23), st.integers(0, 59), st.booleans()),
    numbers=st.fixed_dictionaries(
        {k.split(".")[1]: st.integers(int(lo), int(hi or lo)) for k, (lo, hi) in _SCHEDULE.items()}
    ),
    groups=st.lists(st.sampled_from(["default", "fast", "slow"]), max_size=4),
)
def test_every_config_that_loads_plans_its_jobs(
    zone: str,
    send: tuple[int, int, bool],
    housekeeping: tuple[int, int, bool],
    numbers: dict[str, int],
    groups: list[str],
) -> None:
    """The job plan checks nothing: whatever the config accepts, it plans."""

    def clock(hour: int, minute: int, padded: bool) -> str:
        return f"{hour:02d}:{minute:02d}" if padded else f"{hour}:{minute:02d}"

    text = (
        f'[digest]\ntimezone = "{zone}"\nsend_time = "{clock(*send)}"\n'
        f'[schedule]\nhousekeeping_time = "{clock(*housekeeping)}"\n'
        + "".join(f"{k} = {v}\n" for k, v in numbers.items())
        + "".join(
            f"[[sources]]\nname = 's{i}'\nurl = 'https://x{i}.example/f'\nkind = 'feed'\n"
            f"group = '{g}'\n"
            for i, g in enumerate(groups)
        )
    )
    cfg = parse_config(text, None)
    specs = {s.id: s for s in plan_jobs(cfg, config_path=None, database_url="sqlite:///x.db")}
    assert str(specs["digest"].trigger) == f"cron[hour='{send[0]}', minute='{send[1]}']"
    assert str(specs["digest"].trigger.timezone) == zone
    assert str(specs["housekeeping"].trigger) == (
        f"cron[hour='{housekeeping[0]}', minute='{housekeeping[1]}']"
    )
    crawls = [s for s in specs if s.startswith("crawl")]
    assert len(crawls) == max(1, len(set(groups)))


def test_the_dedup_defaults_are_the_storage_ones() -> None:
    cfg = parse_config("[[sources]]\nname='a'\nurl='https://x.org/'\nkind='feed'\n", None)
    job = build_crawl_job(cfg)
    defaults = (DEFAULT_NEAR_THRESHOLD, DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS)
    assert (cfg.dedup.near_threshold, cfg.dedup.num_perm, cfg.dedup.shingle_words) == defaults
    assert (job.near_threshold, job.num_perm, job.shingle_words) == defaults
