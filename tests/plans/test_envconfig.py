"""The shared parsers of the plan client's variables, used by the bot and the agent tools.

Categories: each parser's accepted values, bounds and what it says it expects;
the reader (empty means unset, one problem per variable, concealed and
shortened values); the variable table.
"""

from __future__ import annotations

import pytest

from bot.plans import envconfig
from bot.plans.envconfig import EnvReader, coach_names, http_url, integer, number, timezone


# -- parsers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["http://localhost:5000", "https://plans.example.com/base/", "http://10.0.0.2"]
)
def test_http_url_accepts_a_base_url(url: str) -> None:
    assert http_url(url) == url


@pytest.mark.parametrize(
    "url", ["localhost:5000", "ftp://example.com", "http://", "http://a b", "http://h/p?q=1"]
)
def test_http_url_refuses_what_the_client_cannot_join_paths_to(url: str) -> None:
    """No scheme, another scheme, no host, spaces or a query: said before any request."""
    with pytest.raises(ValueError, match=r"^an http:// or https:// base URL such as http://"):
        http_url(url)


def test_number_bounds_are_above_exclusive_and_at_most_inclusive() -> None:
    parse = number(above=0, at_most=300)
    assert (parse("0.001"), parse("300"), parse("1e2")) == (0.001, 300.0, 100.0)
    for raw in ("0", "300.5", "-1"):
        with pytest.raises(ValueError, match=r"^a number of seconds above 0 and at most 300$"):
            parse(raw)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "soon", ""])
def test_number_refuses_what_is_not_a_finite_number(raw: str) -> None:
    """`nan` compares false with every bound, so it is refused before any comparison."""
    with pytest.raises(ValueError, match=r"^a number of seconds above 0$"):
        number(above=0)(raw)


def test_integer_bounds_are_inclusive_and_fractions_refused() -> None:
    parse = integer(1, 10)
    assert (parse("1"), parse("10")) == (1, 10)
    for raw in ("0", "11", "1.5", "three"):
        with pytest.raises(ValueError, match=r"^a whole number from 1 to 10$"):
            parse(raw)


@pytest.mark.parametrize(
    "raw", ["Mars/Olympus", "EST5EDT/../..", "/etc/passwd", "America", "Europe/" + "x" * 300]
)
def test_timezone_refuses_unknown_names_paths_and_folders(raw: str) -> None:
    """ZoneInfo reads files: a folder or an overlong name is an OSError there, a ValueError here."""
    with pytest.raises(ValueError, match=r"^an IANA timezone name such as America/New_York$"):
        timezone(raw)


def test_timezone_accepts_an_iana_name() -> None:
    assert timezone("Asia/Tokyo") == "Asia/Tokyo"


def test_coach_names_keep_order_and_strip_spaces() -> None:
    assert coach_names(" s = Swing ,d=Day Trading") == {"s": "Swing", "d": "Day Trading"}
    assert list(coach_names("s=Swing,d=Day")) == ["s", "d"]


@pytest.mark.parametrize("raw", ["d,s", "d=Day,d=Again", "D=Day", "d!=Day", "d=", "=Day", "d=Day,"])
def test_coach_names_refuse_bad_pairs(raw: str) -> None:
    """No `=`, a repeated, uppercase or odd id, an empty name or an empty pair."""
    with pytest.raises(ValueError, match=r"^comma-separated id=Name pairs such as d=Day"):
        coach_names(raw)


# -- the reader ---------------------------------------------------------------------------------
def test_reader_treats_empty_and_missing_as_unset() -> None:
    reader = EnvReader({"PLANS_MAX_RETRIES": "  "})
    assert reader.read(envconfig.MAX_RETRIES, 3) == 3
    assert reader.read(envconfig.TIMEZONE, "UTC") == "UTC"
    assert reader.problems == {}


def test_reader_strips_then_parses() -> None:
    assert EnvReader({"PLANS_MAX_RETRIES": " 2\n"}).read(envconfig.MAX_RETRIES, 3) == 2


def test_reader_collects_one_problem_per_variable_and_returns_the_default() -> None:
    """Every bad variable is reported in one go, each with what it expects and what it got."""
    reader = EnvReader({"PLANS_MAX_RETRIES": "0", "PLANS_TIMEZONE": "Mars/Olympus"})
    assert reader.read(envconfig.MAX_RETRIES, 3) == 3
    assert reader.read(envconfig.TIMEZONE, "UTC") == "UTC"
    assert reader.problems == {
        "PLANS_MAX_RETRIES": "a whole number from 1 to 10 (got '0')",
        "PLANS_TIMEZONE": "an IANA timezone name such as America/New_York (got 'Mars/Olympus')",
    }


def test_reader_conceals_what_it_is_told_to() -> None:
    """A URL may carry a password: the caller decides which values are never repeated."""
    reader = EnvReader(
        {"PLANS_API_URL": "ftp://user:secret@example.com"},
        conceal=lambda name, raw: name == "PLANS_API_URL",
    )
    reader.read(envconfig.API_URL, "http://localhost:5000")
    assert reader.problems["PLANS_API_URL"] == (
        "an http:// or https:// base URL such as http://localhost:5000"
    )


def test_reader_shortens_long_values() -> None:
    """A pasted blob is cut to MAX_SHOWN_CHARS, with an ellipsis so the cut shows."""
    reader = EnvReader({"PLANS_TIMEZONE": "x" * 100})
    reader.read(envconfig.TIMEZONE, "UTC")
    shown = reader.problems["PLANS_TIMEZONE"].partition(" (got ")[2].removesuffix(")")
    assert shown == repr("x" * (envconfig.MAX_SHOWN_CHARS - 3) + "...")


# -- the variables --------------------------------------------------------------------------------
def test_client_variables_are_the_documented_names_and_keywords() -> None:
    """The names the bot's `.env` and the agents' environment use, with the client's keywords."""
    assert {v.name: v.keyword for v in envconfig.CLIENT_VARIABLES} == {
        "PLANS_API_URL": "api_base_url",
        "PLANS_CACHE_TTL_SECONDS": "cache_ttl_seconds",
        "PLANS_CACHE_MAX_SIZE": "max_cache_size",
        "PLANS_TIMEOUT_SECONDS": "timeout",
        "PLANS_MAX_RETRIES": "max_retries",
        "PLANS_TIMEZONE": "timezone",
        "PLANS_API_TIMEZONE": "api_timezone",
        "PLANS_MARKET_CALENDAR": "market_calendar",
        "COACHES": "coaches",
        "PLANS_REDIS_URL": "redis_url",
        "PLANS_REDIS_PREFIX": "redis_prefix",
        "PLANS_REDIS_TIMEOUT_SECONDS": "redis_timeout_seconds",
    }


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "redis://:secret@redis.internal",
        "rediss://user:secret@redis.example.com:6380/2",
        "unix:///run/redis/redis.sock?db=1",
    ],
)
def test_redis_url_accepts_what_redis_py_reads(url: str) -> None:
    assert envconfig.redis_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:6379",
        "redis://",
        "redis://host/zero",
        "redis://host:port/0",
        "redis://host/0#frag",
        "unix://",
        "redis://host /0",
        "localhost:6379",
    ],
)
def test_redis_url_refuses_what_it_cannot_connect_to(url: str) -> None:
    with pytest.raises(ValueError, match="redis://, rediss:// or unix://"):
        envconfig.redis_url(url)


def test_mask_passwords_hides_a_password_in_the_user_part_and_in_the_query() -> None:
    """redis-py reads a unix socket's password from the query, so that is masked too."""
    assert envconfig.mask_passwords("redis://:hunter2@h/0") == "redis://:***@h/0"
    assert envconfig.mask_passwords("unix:///s.sock?db=1&password=hunter2") == (
        "unix:///s.sock?db=1&password=***"
    )


@pytest.mark.parametrize("prefix", ["", "a b", "coach*plans", "a::b", "x" * 65])
def test_redis_prefix_refuses_what_would_match_other_keys(prefix: str) -> None:
    """A clear SCANs by pattern: a glob character in the prefix would reach others' keys."""
    with pytest.raises(ValueError, match="key prefix"):
        envconfig.redis_prefix(prefix)


def test_market_calendar_names_are_checked() -> None:
    """Any case of a known calendar; anything else names the known ones."""
    assert envconfig.MARKET_CALENDAR.parse("nyse") == "NYSE"
    with pytest.raises(ValueError, match="a market calendar name: NYSE"):
        envconfig.MARKET_CALENDAR.parse("LSE")


# -- unknown names ----------------------------------------------------------------------------
def test_unknown_names_suggest_the_closest_known_one() -> None:
    """One warning per unknown name with the prefix, sorted; known and foreign names pass."""
    known = {"PLANS_CACHE_TTL_SECONDS", "PLANS_MAX_RETRIES", "COACHES"}
    environ = {
        "PLANS_MAX_RETRIES": "2",
        "PLANS_MAX_RETRY": "2",
        "PLANS_CACHE_TTL": "60",
        "PLANS_ZZZ": "1",
        "HOME": "/root",
    }
    assert envconfig.unknown_names(environ, known) == [
        "PLANS_CACHE_TTL is not a setting; did you mean PLANS_CACHE_TTL_SECONDS?",
        "PLANS_MAX_RETRY is not a setting; did you mean PLANS_MAX_RETRIES?",
        "PLANS_ZZZ is not a setting; it is ignored",
    ]


def test_the_reader_remembers_every_name_it_was_asked_for() -> None:
    """`asked` is what `unknown_names` compares with, so a new setting needs no list."""
    reader = EnvReader({"PLANS_MAX_RETRIES": "x"})
    reader.read(envconfig.MAX_RETRIES, 3)
    reader.get("PLANS_NEW_THING", None, str)
    assert reader.asked == {"PLANS_MAX_RETRIES", "PLANS_NEW_THING"}


def test_upper_choice_takes_any_case_and_says_what_it_expects() -> None:
    assert envconfig.upper_choice("nyse", ("NYSE",), "a calendar") == "NYSE"
    with pytest.raises(ValueError, match=r"^a calendar$"):
        envconfig.upper_choice("lse", ("NYSE",), "a calendar")
