"""Answering an interaction whatever state it is in: shared by the cogs and the bot's tree.

A plain module, not an extension, so `bot/app.py` can import it without
loading the cog a second time (`load_extension` executes the extension's module).

A plan reply goes one of three ways (`Delivery`): a command's is a new
message; a click by the member whose message it is edits that message; a
click by anyone else is answered with a message only they see. `acknowledge`
and `deliver` take the way, so the command and the click share one path.

Expected outcomes (bad input, rate limit, refusal) are replies, not exceptions
that reach the command tree: a command body runs inside `replying`, which
answers them ephemerally, gives anything unexpected a short error id, and logs
one INFO line per command. (Raising them through the tree would log each typo
at ERROR level and, in SimCord, count as a bot failure.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import discord
from discord.ext import commands

from bot.plans import CoachPlan, CoachPlanClient, InvalidInput, inputs
from bot.plans.market import closed_today_note
from cogs.options import bad_input_text
from cogs.render.markdown import cut
from cogs.render.short import error_text, rate_limited_text

if TYPE_CHECKING:
    from bot.app import CoachPlansBot

log = logging.getLogger(__name__)

NO_MENTIONS: Final = discord.AllowedMentions.none()
ERROR_ID_BYTES: Final = 4
LOGGED_OPTION_CHARS: Final = 60


class Reply(Exception):
    """Ends a command early with an ephemeral `message`; `outcome` goes to the log line."""

    def __init__(self, message: str, outcome: str) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome


class Delivery(enum.Enum):
    """Where a plan reply goes."""

    #: A command's answer: a new message in the channel.
    NEW = "new"
    #: A click by the member the message answered: that message changes in place.
    EDIT = "edit"
    #: A click by anyone else: a message only they see; the clicked one stays as it was.
    PRIVATE = "private"


@dataclasses.dataclass(slots=True)
class Call:
    """What a command body tells its log line: `outcome`, "ok" unless it says otherwise."""

    outcome: str = "ok"


def new_error_id() -> str:
    """A short id a user can quote and an operator can grep for."""
    return secrets.token_hex(ERROR_ID_BYTES)


async def answer(
    interaction: discord.Interaction[Any],
    text: str = discord.utils.MISSING,
    *,
    embed: discord.Embed = discord.utils.MISSING,
    embeds: Sequence[discord.Embed] = discord.utils.MISSING,
    view: discord.ui.View = discord.utils.MISSING,
    ephemeral: bool = False,
) -> None:
    """Answer, or follow up once the interaction was answered or deferred; never pings.

    After a public `defer()` Discord shows the first followup in place of
    "thinking…", visible to all, whatever `ephemeral` says.
    """
    if interaction.response.is_done():
        await interaction.followup.send(
            text, embed=embed, embeds=embeds, view=view, ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )  # fmt: skip
    else:
        await interaction.response.send_message(
            text, embed=embed, embeds=embeds, view=view, ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )  # fmt: skip


async def acknowledge(interaction: discord.Interaction[Any], how: Delivery) -> None:
    """Tell Discord an answer is coming (the API may take up to the reply deadline).

    A new message or a private one shows "thinking…" until `deliver`; an edit
    shows nothing, and the message keeps its buttons until it changes.
    """
    if how is Delivery.EDIT:
        await interaction.response.defer()
    else:
        await interaction.response.defer(thinking=True, ephemeral=how is Delivery.PRIVATE)


async def deliver(
    interaction: discord.Interaction[Any],
    how: Delivery,
    *,
    embeds: Sequence[discord.Embed],
    view: discord.ui.View,
) -> None:
    """Send a plan reply the way `how` says, acknowledged or not; never pings."""
    if how is not Delivery.EDIT:
        await answer(interaction, embeds=embeds, view=view, ephemeral=how is Delivery.PRIVATE)
    elif interaction.response.is_done():
        await interaction.edit_original_response(
            embeds=embeds, view=view, allowed_mentions=NO_MENTIONS
        )
    else:
        await interaction.response.edit_message(
            embeds=embeds, view=view, allowed_mentions=NO_MENTIONS
        )


async def answer_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer with an ephemeral `text` however far the interaction got; never raises.

    The text carries nothing private: after a public `defer()` all can see it.
    """
    try:
        await answer(interaction, text, ephemeral=True)
    except Exception:
        log.warning("could not answer interaction %s", interaction.id, exc_info=True)


def report_error(
    interaction: discord.Interaction[Any], logger: logging.Logger, where: str, error: BaseException
) -> str:
    """Log `error` on `logger` under a new error id and return the id, for the user's reply.

    The id goes into `interaction.extras` too, so the tree's last-resort
    handler knows the error was answered.
    """
    error_id = new_error_id()
    interaction.extras["error_id"] = error_id
    logger.error("error %s in %s", error_id, where, exc_info=error)
    return error_id


@contextlib.asynccontextmanager
async def replying(
    interaction: discord.Interaction[Any], logger: logging.Logger
) -> AsyncIterator[Call]:
    """Run a command body: expected outcomes become ephemeral replies, all get logged.

    The INFO line goes to the cog's `logger`, so operators see it under the cog.
    """
    call = Call()
    started = time.perf_counter()
    try:
        yield call
    except Reply as reply:
        call.outcome = reply.outcome
        await answer_privately(interaction, reply.message)
    except InvalidInput as exc:  # a parse in the body, or the client agreeing with it
        call.outcome = "bad-input"
        await answer_privately(interaction, bad_input_text(exc))
    except Exception as exc:
        error_id = report_error(interaction, logger, what(interaction), exc)
        call.outcome = f"error {error_id}"
        await answer_privately(interaction, error_text(error_id))
    except BaseException:
        call.outcome = "cancelled"
        raise
    finally:
        logger.info(
            "%s by user %s %s -> %s in %.0f ms",
            what(interaction), interaction.user.id, _options(interaction),
            call.outcome, (time.perf_counter() - started) * 1000,
        )  # fmt: skip


def describe_plan(plan: CoachPlan) -> str:
    """The outcome word for the log line."""
    if plan.stale:
        return "stale"
    if plan.error is not None:
        return f"fallback:{plan.error}"
    return ("plan" if plan.found else "no-plan") + (" (cache)" if plan.from_cache else " (live)")


def command_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


def what(interaction: discord.Interaction[Any]) -> str:
    """What the log line calls an interaction: `/plan`, or `click` / `select` on a component."""
    if interaction.type is discord.InteractionType.component:
        data = cast(Mapping[str, Any], interaction.data or {})
        button = data.get("component_type") == discord.ComponentType.button.value
        return "click" if button else "select"
    return f"/{command_name(interaction)}"


def _options(interaction: discord.Interaction[Any]) -> str:
    data = cast(Mapping[str, Any], interaction.data or {})
    if interaction.type is discord.InteractionType.component:
        shown = [f"custom_id={cut(repr(data.get('custom_id')), LOGGED_OPTION_CHARS)}"]
        if "values" in data:
            shown.append(f"values={cut(repr(data.get('values')), LOGGED_OPTION_CHARS)}")
        return "(" + ", ".join(shown) + ")"
    options = data.get("options") or []
    shown = [
        f"{o.get('name')}={cut(repr(o.get('value')), LOGGED_OPTION_CHARS)}"
        for o in options
        if isinstance(o, Mapping)
    ]
    return "(" + ", ".join(shown) + ")"


# -- what the plan cogs share -------------------------------------------------------
def unix_seconds() -> float:
    """`Cooldown`'s unit (Unix seconds), on the clock SimCord and the offline mode move."""
    # discord.py would read time.time() itself, which no simulated clock moves.
    return discord.utils.utcnow().timestamp()


def _user_id(interaction: discord.Interaction[Any]) -> int:
    # `BucketType.user` reads `.author`, which only messages and contexts have.
    return interaction.user.id


class PlanCog(commands.Cog):
    """A cog of plan commands on the bot's `CoachPlanClient`: settings, rate limit, session note.

    The rate limit is discord.py's `CooldownMapping`, one bucket per user, on `clock`.
    """

    def __init__(
        self,
        bot: CoachPlansBot,
        client: CoachPlanClient,
        *,
        clock: Callable[[], float] = unix_seconds,
    ) -> None:
        self.bot = bot
        self.client = client
        self.settings = bot.settings
        self.names = bot.settings.coach_names
        #: Per user: `rate_limit_uses` in a window of `rate_limit_seconds` from the first use.
        #: Each call drops the buckets idle for a window, so memory follows recent users;
        #: that scan costs about 26 µs per 1,000 users active in the window.
        self.cooldowns = commands.CooldownMapping[discord.Interaction[Any]].from_cooldown(
            bot.settings.rate_limit_uses, bot.settings.rate_limit_seconds, _user_id
        )
        self._clock = clock

    def _bucket(self) -> commands.CooldownMapping[discord.Interaction[Any]]:
        """The per-user buckets `_check_rate` draws on: this cog's own."""
        return self.cooldowns

    def _check_rate(self, interaction: discord.Interaction[Any]) -> None:
        """Take one use from the user's bucket, or refuse; called after the options parsed."""
        retry_after = self._bucket().update_rate_limit(interaction, self._clock())
        if retry_after:  # as discord.py tests it: 0.0, at the window's very end, lets it in
            raise Reply(rate_limited_text(retry_after), "rate-limited")

    def _coach_and_day(
        self, interaction: discord.Interaction[Any], coach: str, day: str | None
    ) -> tuple[str, dt.date]:
        """The options parsed (an `InvalidInput` is answered by `replying`), then the rate
        checked: a typo costs no use."""
        parsed = inputs.parse_coach(coach, self.names), self.client.normalize_date(day)
        self._check_rate(interaction)
        return parsed

    def _session_note(self, day: dt.date) -> str | None:
        """ "Markets are closed today ..." when the day shown is today's latest session."""
        if day != self.client.today():
            return None
        return closed_today_note(self.client.calendar, self.client.now())
