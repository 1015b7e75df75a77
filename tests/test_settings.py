"""Settings: defaults, parsing, one test per invalid value, the token kept secret.

Categories: defaults and `.env.example` agree; each variable parses; each bad
value is named with what is expected; all problems come at once; `.env`
loading; the token never shows in repr, str, summary or errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.plans import ClientConfig, envconfig
from bot.plans.tools._env import ToolConfigError, read_env
from bot.settings import Coach, Secret, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"


def example_settings() -> dict[str, str]:
    """The variables `.env.example` sets, as python-dotenv reads them."""
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}


def test_env_example_lists_every_setting_with_the_defaults() -> None:
    """`.env.example` is the documentation: it names every setting and its real default."""
    example = example_settings()
    read = Settings.from_env(example, env_file=None)
    assert read == Settings() and read.warnings == ()
    env_names = set(example)
    settings = [f for f in dataclasses.fields(Settings) if f.compare]  # `warnings` is none
    assert len(env_names) == len(settings) + 1  # `shards` is SHARD_COUNT and SHARD_IDS
    assert "DISCORD_TOKEN" in env_names and "PLANS_API_URL" in env_names


def test_defaults_match_the_issue() -> None:
    s = Settings.from_env({}, env_file=None)
    assert s.discord_token is None
    assert s.plans_api_url == "http://localhost:5000"
    assert s.reply_deadline_seconds == 8
    assert s.coach_names == {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
    assert (s.rate_limit_uses, s.rate_limit_seconds) == (5, 30)
    assert s.dev_guild_id is None and s.moderator_role is None
    assert s.log_level == "INFO"


def test_every_variable_is_read() -> None:
    s = Settings.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "PLANS_API_URL": "https://plans.example.com/base",
            "PLANS_CACHE_TTL_SECONDS": "120",
            "PLANS_CACHE_MAX_SIZE": "7",
            "PLANS_TIMEOUT_SECONDS": "2.5",
            "PLANS_MAX_RETRIES": "1",
            "REPLY_DEADLINE_SECONDS": "5",
            "PLANS_TIMEZONE": "Europe/London",
            "PLANS_API_TIMEZONE": "UTC",
            "PLANS_MARKET_CALENDAR": "nyse",
            "COACHES": " d = Day ,x=Crypto Desk",
            "DEV_GUILD_ID": "123456789012345678",
            "MODERATOR_ROLE": "Plan Keepers",
            "RATE_LIMIT_USES": "3",
            "RATE_LIMIT_SECONDS": "10",
            "LOG_LEVEL": "debug",
        },
        env_file=None,
    )
    assert s.discord_token == Secret(TOKEN)
    assert s.coaches == (Coach("d", "Day"), Coach("x", "Crypto Desk"))
    assert s.dev_guild_id == 123456789012345678
    assert s.log_level == "DEBUG"
    assert dataclasses.asdict(s.client_config()) == dataclasses.asdict(ClientConfig()) | {
        "api_base_url": "https://plans.example.com/base",
        "cache_ttl_seconds": 120.0,
        "max_cache_size": 7,
        "timeout": 2.5,
        "max_retries": 1,
        "timezone": "Europe/London",
        "api_timezone": "UTC",
        "market_calendar": "NYSE",
        "coaches": ("d", "x"),
        "deadline_seconds": 5 - 0.75,
    }


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        (
            "PLANS_CACHE_TTL",
            "PLANS_CACHE_TTL is not a setting; did you mean PLANS_CACHE_TTL_SECONDS?",
        ),
        ("PLANS_TIMEOUT", "PLANS_TIMEOUT is not a setting; did you mean PLANS_TIMEOUT_SECONDS?"),
        ("PLANS_COACHES", "PLANS_COACHES is not a setting; did you mean COACHES?"),
        ("PLANS_API_URI", "PLANS_API_URI is not a setting; did you mean PLANS_API_URL?"),
        ("PLANS_XYZZY", "PLANS_XYZZY is not a setting; it is ignored"),
    ],
)
def test_an_unknown_plans_name_is_a_warning_naming_the_closest_setting(
    name: str, warning: str
) -> None:
    """A typo would leave the default in place without a word; the warning says which
    setting was meant. It is not an error: nothing reads the value."""
    settings = Settings.from_env({name: "60", "PLANS_CACHE_TTL_SECONDS": "120"}, env_file=None)
    assert settings.warnings == (warning,)
    assert settings.cache_ttl_seconds == 120 and settings == Settings(cache_ttl_seconds=120)


def test_only_unknown_plans_names_are_warned_about_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other variables are not ours to judge; a name in `.env` and the environment is
    one warning."""
    env_file = tmp_path / ".env"
    env_file.write_text("PLANS_CACHE_TTL=60\nPLANS_MAX_RETRIES=2\nHOME_DIR=/x\n")
    monkeypatch.setenv("PLANS_CACHE_TTL", "30")
    monkeypatch.setenv("PATH_EXTRA", "1")
    settings = Settings.from_env(env_file=env_file)
    assert [w for w in settings.warnings if "PLANS_CACHE_TTL " in w] == [
        "PLANS_CACHE_TTL is not a setting; did you mean PLANS_CACHE_TTL_SECONDS?"
    ]
    assert all(w.startswith("PLANS_") for w in settings.warnings)


def test_empty_values_mean_default() -> None:
    """`DEV_GUILD_ID=` in a `.env` is "none", not an error."""
    assert Settings.from_env({"DEV_GUILD_ID": "", "PLANS_MAX_RETRIES": "  "}) == Settings()


def test_fetch_deadline_leaves_time_to_reply() -> None:
    """The client gives up before Discord's reply deadline, leaving time to render and send."""
    assert Settings(reply_deadline_seconds=8).fetch_deadline_seconds == 7.25
    assert Settings(reply_deadline_seconds=1).fetch_deadline_seconds == 0.5


INVALID = [
    ("DISCORD_TOKEN", "not a token", "three dot-separated parts"),
    ("DISCORD_TOKEN", f"Bot {TOKEN}", "without the 'Bot ' prefix"),
    ("PLANS_API_URL", "localhost:5000", "http:// or https://"),
    ("PLANS_API_URL", "ftp://example.com", "http:// or https://"),
    ("PLANS_CACHE_TTL_SECONDS", "0", "above 0"),
    ("PLANS_CACHE_TTL_SECONDS", "an hour", "number of seconds"),
    ("PLANS_CACHE_TTL_SECONDS", "nan", "number of seconds"),
    ("PLANS_CACHE_MAX_SIZE", "0", "whole number from 1"),
    ("PLANS_CACHE_MAX_SIZE", "1.5", "whole number"),
    ("PLANS_TIMEOUT_SECONDS", "-1", "above 0"),
    ("PLANS_MAX_RETRIES", "0", "from 1 to 10"),
    ("PLANS_MAX_RETRIES", "11", "from 1 to 10"),
    ("REPLY_DEADLINE_SECONDS", "0", "above 0"),
    ("REPLY_DEADLINE_SECONDS", "61", "at most 60"),
    ("PLANS_TIMEZONE", "Mars/Olympus", "IANA timezone"),
    ("PLANS_TIMEZONE", "EST5EDT/../..", "IANA timezone"),
    ("PLANS_TIMEZONE", "America", "IANA timezone"),
    ("COACHES", "d", "id=Name pairs"),
    ("COACHES", "d=Day,d=Again", "unique"),
    ("COACHES", "D!=Day", "lowercase"),
    ("COACHES", "d=", "names of 1 to 100"),
    ("COACHES", ",".join(f"c{i}=Coach {i}" for i in range(26)), "1 to 25"),
    ("DEV_GUILD_ID", "my-server", "Discord id"),
    ("DEV_GUILD_ID", "123", "15 to 21 digits"),
    ("MODERATOR_ROLE", "x" * 101, "at most 100"),
    ("RATE_LIMIT_USES", "0", "from 1 to 1000"),
    ("RATE_LIMIT_SECONDS", "-5", "above 0"),
    ("LOG_LEVEL", "LOUD", "DEBUG, INFO"),
    ("DIGEST_CHANNEL_ID", "#opening-digest", "Discord id"),
    ("DIGEST_TIME", "9am", "24-hour time HH:MM"),
    ("DIGEST_TIME", "24:00", "24-hour time HH:MM"),
    ("DIGEST_TIME", "09:00 America/Chicago", "in the market's zone"),
    ("DIGEST_ROLE_ID", "123456789012345678", "DIGEST_CHANNEL_ID as well"),
]


@pytest.mark.parametrize(("name", "value", "expected"), INVALID)
def test_each_invalid_value_is_named_with_what_is_expected(
    name: str, value: str, expected: str
) -> None:
    """The message names the variable and says what it accepts."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value}, env_file=None)
    assert list(caught.value.problems) == [name]
    assert expected in caught.value.problems[name]
    assert f"  {name}: " in str(caught.value)


def test_the_bot_and_the_agent_tools_read_the_plan_variables_alike() -> None:
    """Both parse with bot.plans.envconfig: the same values give the agents the bot's client."""
    environ = {
        "PLANS_API_URL": "https://plans.example.com/base",
        "PLANS_CACHE_TTL_SECONDS": "120",
        "PLANS_CACHE_MAX_SIZE": "7",
        "PLANS_TIMEOUT_SECONDS": "2.5",
        "PLANS_MAX_RETRIES": "1",
        "PLANS_TIMEZONE": "Europe/London",
        "PLANS_API_TIMEZONE": "Asia/Tokyo",
        "PLANS_MARKET_CALENDAR": "NYSE",
        "COACHES": " d = Day ,x=Crypto Desk",
        "PLANS_REDIS_URL": "redis://:secret@redis.internal:6379/1",
        "PLANS_REDIS_PREFIX": "plans:prod",
        "PLANS_REDIS_TIMEOUT_SECONDS": "0.2",
    }
    settings = Settings.from_env(environ, env_file=None)
    config, names = read_env(environ)
    # The agents' config is the bot's, but for the bot's own reply deadline.
    assert config == settings.client_config().replace(deadline_seconds=config.deadline_seconds)
    for variable in envconfig.CLIENT_VARIABLES:  # each one read (NYSE is the only calendar)
        if variable is not envconfig.MARKET_CALENDAR:
            assert getattr(config, variable.keyword) != getattr(ClientConfig(), variable.keyword)
    assert names == settings.coach_names == {"d": "Day", "x": "Crypto Desk"}


@pytest.mark.parametrize(("name", "value"), [("PLANS_MAX_RETRIES", "11"), ("COACHES", "d")])
def test_a_plan_variable_the_bot_refuses_the_agent_tools_refuse(name: str, value: str) -> None:
    """A plan-client limit holds for both; only Discord's coach limits are the bot's alone."""
    with pytest.raises(SettingsError):
        Settings.from_env({name: value}, env_file=None)
    with pytest.raises(ToolConfigError, match=name):
        read_env({name: value})


def test_all_problems_are_reported_at_once() -> None:
    """One run tells a person everything to fix in their `.env`."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {"PLANS_API_URL": "nope", "LOG_LEVEL": "LOUD", "COACHES": "x"},
            require_token=True,
            env_file=None,
        )
    assert set(caught.value.problems) == {"DISCORD_TOKEN", "PLANS_API_URL", "LOG_LEVEL", "COACHES"}
    assert str(caught.value).startswith("4 settings are missing or invalid:")


def test_token_is_required_only_for_a_real_run() -> None:
    assert Settings.from_env({}, env_file=None).discord_token is None
    with pytest.raises(SettingsError, match="DISCORD_TOKEN: required"):
        Settings.from_env({}, require_token=True, env_file=None)


def test_token_never_shows_in_repr_str_summary_or_errors() -> None:
    """Printing or logging the settings cannot leak the token, not even part of it."""
    s = Settings.from_env({"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert s.discord_token is not None
    assert s.discord_token.get_secret_value() == TOKEN
    shown = [repr(s), str(s), s.summary(), repr(s.discord_token), f"{s.discord_token}"]
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DISCORD_TOKEN": "Bot " + TOKEN, "LOG_LEVEL": TOKEN}, env_file=None)
    shown.append(str(caught.value))
    for text in shown:
        for part in TOKEN.split("."):
            assert part not in text


def test_dotenv_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.env` fills in what the process environment does not set."""
    env_file = tmp_path / ".env"
    env_file.write_text("PLANS_API_URL=http://plans.internal:5000\nRATE_LIMIT_USES=9\n")
    for name in ("PLANS_API_URL", "RATE_LIMIT_USES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RATE_LIMIT_USES", "4")

    s = Settings.from_env(env_file=env_file)

    assert s.plans_api_url == "http://plans.internal:5000"
    assert s.rate_limit_uses == 4


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().log_level = "DEBUG"  # type: ignore[misc]


def test_a_bad_api_url_is_not_echoed() -> None:
    """An API URL may carry a password: a bad one is named, never repeated back."""
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"PLANS_API_URL": "ftp://user:hunter2@plans.internal"})
    assert "PLANS_API_URL" in str(info.value) and "hunter2" not in str(info.value)


# -- secrets pasted where they do not belong ---------------------------------------------
URL_WITH_PASSWORD = "http://user:pw-s3cret@127.0.0.1:5000"
MISPLACED_SECRETS = [
    pytest.param({"MODERATOR_ROLE": f"Mods {TOKEN}"}, id="token in MODERATOR_ROLE"),
    pytest.param({"MODERATOR_ROLE": TOKEN[10:30]}, id="token fragment in MODERATOR_ROLE"),
    pytest.param({"COACHES": f"d=Day,x=Desk {TOKEN.split('.')[1]}"}, id="token part in COACHES"),
    pytest.param({"MODERATOR_ROLE": TOKEN.replace("MTIz", "OTk5")}, id="another token"),
]


def printed(settings: Settings) -> str:
    """Everything the settings print: summary, repr and str."""
    return "\n".join([settings.summary(), repr(settings), str(settings)])


def leaked(text: str) -> list[str]:
    """Pieces of the token (dot parts, 8-character runs) or of the URL password in `text`."""
    pieces = [*TOKEN.split("."), *(TOKEN[i : i + 8] for i in range(len(TOKEN) - 7))]
    other_token = TOKEN.replace("MTIz", "OTk5")
    pieces += [other_token[i : i + 8] for i in range(len(other_token) - 7)]
    return [piece for piece in [*pieces, "pw-s3cret"] if piece in text]


@pytest.mark.parametrize("misplaced", MISPLACED_SECRETS)
def test_no_setting_output_shows_a_token_pasted_into_another_variable(
    misplaced: dict[str, str],
) -> None:
    """summary(), repr() and str() hide a value holding the token, part of it, or a token."""
    environ = {"DISCORD_TOKEN": TOKEN, "PLANS_API_URL": URL_WITH_PASSWORD, **misplaced}
    s = Settings.from_env(environ, env_file=None)

    assert leaked(printed(s)) == []
    assert "[hidden: holds a token or part of one]" in s.summary()


def test_a_token_as_a_coach_name_is_refused_without_repeating_it() -> None:
    """Coach names are shown to everyone in Discord: a pasted token must never get there."""
    environ = {"DISCORD_TOKEN": TOKEN, "COACHES": f"d=Day,x={TOKEN}"}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ, env_file=None)
    assert "COACHES" in caught.value.problems
    assert leaked(str(caught.value)) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (URL_WITH_PASSWORD, "http://user:***@127.0.0.1:5000"),
        (
            "https://admin:pw-s3cret@plans.example.com/base",
            "https://admin:***@plans.example.com/base",
        ),
        ("https://u:pw-s3cret@ok@plans.example.com", "https://u:***@plans.example.com"),
        ("https://pw-s3cret@plans.example.com", "https://***@plans.example.com"),
    ],
)
def test_the_api_url_prints_with_its_credentials_masked(url: str, shown: str) -> None:
    """The URL still shows where the bot connects; only the password (or an API key) is masked."""
    s = Settings.from_env({"PLANS_API_URL": url}, env_file=None)
    assert s.plans_api_url == url  # the client still gets the real URL
    assert f"PLANS_API_URL: {shown}" in s.summary() and repr(shown) in repr(s)
    assert leaked(printed(s)) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_LEVEL", TOKEN[5:30]),
        ("PLANS_TIMEZONE", f"x{TOKEN[40:49]}"),
        ("RATE_LIMIT_USES", TOKEN.split(".")[1]),
        ("PLANS_MARKET_CALENDAR", TOKEN.replace("MTIz", "OTk5")),
        ("PLANS_TIMEZONE", URL_WITH_PASSWORD),
        ("MODERATOR_ROLE", f"{TOKEN[:60]}{'x' * 50}"),
    ],
)
def test_a_settings_error_never_repeats_part_of_the_token_or_a_password(
    name: str, value: str
) -> None:
    """A bad value holding part of the token, a token or a URL password is named, not echoed."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {"DISCORD_TOKEN": TOKEN, "MODERATOR_ROLE": f"Mods {TOKEN}", name: value},
            env_file=None,
        )
    assert list(caught.value.problems) == [name]
    assert leaked(str(caught.value)) == []
    assert "(got" not in str(caught.value)


def test_an_invalid_token_is_not_echoed_in_part_by_other_variables() -> None:
    """Even a DISCORD_TOKEN that fails to parse is what other messages must not repeat."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DISCORD_TOKEN": f"Bot {TOKEN}", "LOG_LEVEL": TOKEN[:20]}, env_file=None)
    assert set(caught.value.problems) == {"DISCORD_TOKEN", "LOG_LEVEL"}
    assert leaked(str(caught.value)) == []


def test_a_harmless_bad_value_is_still_shown() -> None:
    """Concealing is for secrets: a typo comes back so a person can spot it."""
    with pytest.raises(SettingsError, match="got 'LOUD'"):
        Settings.from_env({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, env_file=None)


def test_the_command_sync_file_is_kept_in_the_state_directory_by_default(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({}, env_file=None)
    assert settings.command_sync_file is None
    where = settings.sync_state_file({"XDG_STATE_HOME": str(tmp_path)})
    assert where == tmp_path / "coach-plans" / "command-sync.json"
    chosen = Settings.from_env({"COMMAND_SYNC_FILE": str(tmp_path / "sync.json")}, env_file=None)
    assert chosen.sync_state_file({}) == tmp_path / "sync.json"


def test_a_directory_is_not_a_command_sync_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="COMMAND_SYNC_FILE: expected a file path"):
        Settings.from_env({"COMMAND_SYNC_FILE": str(tmp_path)}, env_file=None)


@pytest.mark.parametrize(
    ("environ", "label"),
    [
        ({"SHARD_COUNT": "4"}, "bot-shards-0,1,2,3-of-4"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2-3"}, "bot-shards-2,3-of-4"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3, 0"}, "bot-shards-0,3-of-4"),
        ({}, "bot"),
    ],
)
def test_shards_name_the_process(environ: dict[str, str], label: str) -> None:
    assert Settings.from_env(environ, env_file=None).process_name == label


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"SHARD_IDS": "0,1"}, "SHARD_IDS: expected SHARD_COUNT as well"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1-2"}, "SHARD_IDS: expected shard ids from 0 to 1"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS: expected each shard id once"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT: expected a whole number from 1 to 4096"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "a"}, "SHARD_IDS: expected shard ids such as 0,1"),
        ({"METRICS_ADDR": "http://x"}, "METRICS_ADDR: expected PORT or HOST:PORT"),
        ({"METRICS_ADDR": "example.com:9108"}, "METRICS_ADDR: expected an IP address"),
    ],
)
def test_fleet_settings_say_what_they_expect(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ, env_file=None)
    assert problem in str(caught.value)


def test_metrics_addr_is_kept_as_written() -> None:
    assert Settings.from_env({"METRICS_ADDR": "9108"}, env_file=None).metrics_addr == "9108"


def test_the_shared_cache_settings_reach_the_client() -> None:
    """PLANS_REDIS_* configure the client's second level; off by default."""
    assert Settings().client_config().redis_url is None
    settings = Settings.from_env(
        {
            "PLANS_REDIS_URL": "rediss://bot:hunter2@redis.example.com:6380/2",
            "PLANS_REDIS_PREFIX": "plans:prod",
            "PLANS_REDIS_TIMEOUT_SECONDS": "0.25",
        },
        env_file=None,
    )
    config = settings.client_config()
    assert config.redis_url == "rediss://bot:hunter2@redis.example.com:6380/2"
    assert (config.redis_prefix, config.redis_timeout_seconds) == ("plans:prod", 0.25)
    for shown in (repr(settings), settings.summary()):
        assert "hunter2" not in shown and "bot:***@redis.example.com" in shown


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PLANS_REDIS_URL", "http://redis:6379", "a redis://, rediss:// or unix:// URL"),
        ("PLANS_REDIS_PREFIX", "coach*plans", "a key prefix of letters, digits"),
        ("PLANS_REDIS_TIMEOUT_SECONDS", "10", "a number of seconds above 0 and at most 5"),
    ],
)
def test_the_shared_cache_settings_say_what_they_expect(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value}, env_file=None)
    assert caught.value.problems[name].startswith(f"expected {expected}")
    with pytest.raises(ToolConfigError, match=name):
        read_env({name: value})


def test_a_bad_redis_url_is_never_repeated() -> None:
    """It may hold the Redis password, in its user part or (unix sockets) its query."""
    for raw in ("unix://?password=hunter2", "http://:hunter2@redis"):
        with pytest.raises(SettingsError) as caught:
            Settings.from_env({"PLANS_REDIS_URL": raw}, env_file=None)
        assert "hunter2" not in str(caught.value)
        with pytest.raises(ToolConfigError) as refused:
            read_env({"PLANS_REDIS_URL": raw})
        assert "hunter2" not in str(refused.value)


def test_the_digest_settings() -> None:
    """Off by default, at 09:00 (the market's zone is the calendar's); HH:MM when set."""
    assert (Settings().digest_channel_id, Settings().digest_role_id) == (None, None)
    assert Settings().digest_time == dt.time(9, 0)
    s = Settings.from_env(
        {
            "DIGEST_CHANNEL_ID": "223456789012345678",
            "DIGEST_TIME": " 8:45 ",
            "DIGEST_ROLE_ID": "323456789012345678",
        },
        env_file=None,
    )
    assert (s.digest_channel_id, s.digest_time, s.digest_role_id) == (
        223456789012345678,
        dt.time(8, 45),
        323456789012345678,
    )
    assert "DIGEST_*: channel 223456789012345678 at 08:45 in NYSE's zone, pinging role" in (
        s.summary()
    )
