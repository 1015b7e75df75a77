"""Answering an interaction whatever state it is in: shared by the cog and the bot's tree.

A plain module, not an extension, so `bot/app.py` can import it without
loading the cog a second time (`load_extension` executes the extension's module).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Final

import discord

log = logging.getLogger(__name__)

NO_MENTIONS: Final = discord.AllowedMentions.none()
ERROR_ID_BYTES: Final = 4


def new_error_id() -> str:
    """A short id a user can quote and an operator can grep for."""
    return secrets.token_hex(ERROR_ID_BYTES)


async def answer_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer with an ephemeral `text` however far the interaction got; never raises.

    After a public `defer()` Discord shows the first followup in place of
    "thinking…", visible to all; the text carries nothing private.
    """
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except Exception:
        log.warning("could not answer interaction %s", interaction.id, exc_info=True)
