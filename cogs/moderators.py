"""Who counts as a moderator: the one check behind /clearcache and /digest.

`default_permissions(manage_messages=True)` only hides a command, and server
admins can show it to anyone (Server Settings > Integrations), so a
moderator-only command checks again when it runs.
"""

from __future__ import annotations

from typing import Any

import discord


def is_moderator(interaction: discord.Interaction[Any], moderator_role: str | None) -> bool:
    """Manage Messages in this channel (administrators have it), or `MODERATOR_ROLE`
    (a role id or name)."""
    if interaction.permissions.manage_messages:
        return True
    user = interaction.user
    if moderator_role is None or not isinstance(user, discord.Member):
        return False
    return any(str(r.id) == moderator_role or r.name == moderator_role for r in user.roles)
