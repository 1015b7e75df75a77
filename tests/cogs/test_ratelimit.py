"""The per-user rate limit of /plan and /plans: discord.py's `CooldownMapping`, as the cog uses it.

Categories: what counts (the two commands together, only once the options
parsed, moderators too, not /cachestats or /clearcache); the window (from a
user's first use, limits from the settings, a refused call costs nothing);
the clock (SimCord's, moved by hand, or one given to the cog); memory (idle
users are forgotten). `test_coach_plans.py` has the refusal as users see it.
"""

from __future__ import annotations

from typing import Any, cast

import simcord

from cogs.coach_plans import CoachPlans
from tests.cogs.conftest import MakeWorld, World


def refusal(result: simcord.InteractionResult) -> str | None:
    """The rate-limit reply, or None when the command went through."""
    assert result.response is not None, "the interaction got no reply"
    text = result.response.content
    return text if text.startswith("You're asking too quickly") else None


def buckets(world: World) -> dict[Any, Any]:
    """The cog's per-user buckets: discord.py's private `_cache` (there is no public size)."""
    # Not isinstance(cog, CoachPlans): load_extension runs the module again, so the
    # loaded cog's class is not the one imported here.
    found: Any = world.bot.get_cog("Coach plans")
    return cast(dict[Any, Any], found.cooldowns._cache)


async def plan(world: World, who: simcord.MemberActor, **options: str) -> str | None:
    return refusal(await who.slash(world.channel, "plan", **{"coach": "d"} | options))


async def test_a_typo_is_answered_without_costing_a_use(make_world: MakeWorld) -> None:
    """As RoboDanny does: validation first, so a mistyped coach or date can be retried at once."""
    world = await make_world(RATE_LIMIT_USES="1", RATE_LIMIT_SECONDS="30")

    assert await plan(world, world.alice, coach="zz") is None
    assert await plan(world, world.alice, date="not a date") is None
    result = await world.alice.slash(world.channel, "plans", date="2024-13-45")
    assert refusal(result) is None

    assert await plan(world, world.alice) is None  # the one use, still there
    assert await plan(world, world.alice) is not None


async def test_only_commands_that_may_reach_the_api_count(make_world: MakeWorld) -> None:
    world = await make_world(RATE_LIMIT_USES="1", RATE_LIMIT_SECONDS="30")
    for _ in range(3):
        await world.mod.slash(world.channel, "cachestats")
        await world.mod.slash(world.channel, "clearcache")

    assert refusal(await world.mod.slash(world.channel, "plans")) is None
    assert await plan(world, world.mod) is not None  # /plan and /plans share the bucket


async def test_moderators_are_limited_like_everyone(make_world: MakeWorld) -> None:
    """The limit protects the plan API, whoever asks."""
    world = await make_world(RATE_LIMIT_USES="2", RATE_LIMIT_SECONDS="30")

    assert [await plan(world, world.mod) for _ in range(3)] == [
        None,
        None,
        "You're asking too quickly. Please try again in 30 s.",
    ]


async def test_a_refused_call_does_not_extend_the_wait(make_world: MakeWorld) -> None:
    """Hammering while limited must not lock a user out for longer."""
    world = await make_world(RATE_LIMIT_USES="1", RATE_LIMIT_SECONDS="30")
    await plan(world, world.alice)

    waits = []
    for _ in range(2):
        await world.env.advance_time(10)
        waits.append(await plan(world, world.alice))
    await world.env.advance_time(10)

    assert waits == [
        "You're asking too quickly. Please try again in 20 s.",
        "You're asking too quickly. Please try again in 10 s.",
    ]
    assert await plan(world, world.alice) is None


async def test_the_window_starts_at_the_first_use(make_world: MakeWorld) -> None:
    """discord.py's cooldown: `uses` per window from the first use, then a fresh window."""
    world = await make_world(RATE_LIMIT_USES="2", RATE_LIMIT_SECONDS="30")
    await plan(world, world.alice)
    await world.env.advance_time(20)
    await plan(world, world.alice)

    await world.env.advance_time(5)
    assert await plan(world, world.alice) == "You're asking too quickly. Please try again in 5 s."
    await world.env.advance_time(5)
    assert [await plan(world, world.alice) for _ in range(2)] == [None, None]


async def test_the_limit_runs_on_the_clock_given_to_the_cog(world: World) -> None:
    """The seam for a clock other than discord.utils.utcnow (the one SimCord moves)."""
    now = [1_000.0]
    await world.bot.remove_cog("Coach plans")
    await world.bot.add_cog(CoachPlans(world.bot, world.client, clock=lambda: now[0]))
    uses = world.settings.rate_limit_uses

    answers = [await plan(world, world.alice) for _ in range(uses + 1)]
    now[0] += world.settings.rate_limit_seconds + 1

    assert answers.count(None) == uses and answers[-1] is not None
    assert await plan(world, world.alice) is None


async def test_idle_users_are_forgotten_once_a_window_passes(make_world: MakeWorld) -> None:
    """Memory follows the users of the last window: CooldownMapping drops idle buckets itself.

    Fails loudly if discord.py stops pruning, or renames the `_cache` it reads.
    """
    world = await make_world(RATE_LIMIT_USES="1", RATE_LIMIT_SECONDS="30")
    for who in (world.alice, world.bob, world.mod):
        await plan(world, who)
    assert len(buckets(world)) == 3

    await world.env.advance_time(31)
    await plan(world, world.alice)

    assert list(buckets(world)) == [world.alice.id]
