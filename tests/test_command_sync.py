"""The pure parts of the command sync policy: the digest, the state file and where it lives.

The policy itself (sync or not, at start-up) is tested with the real bot in
SimCord, in `tests/cogs/test_app.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import create_bot
from bot.command_sync import (
    commands_digest,
    default_state_path,
    global_payloads,
    load_records,
    save_records,
)
from bot.settings import Settings


def test_digest_ignores_key_order_and_command_order() -> None:
    a = {"name": "a", "type": 1, "options": [{"name": "x", "type": 3}]}
    b = {"type": 1, "name": "b"}
    reordered = {"options": [{"type": 3, "name": "x"}], "type": 1, "name": "a"}

    assert commands_digest([a, b]) == commands_digest([b, reordered])


@pytest.mark.parametrize(
    "changed",
    [
        {"nsfw": True},
        {"contexts": [0, 1, 2]},
        {"default_member_permissions": "8192"},
        {"options": [{"name": "x", "type": 3, "required": True}]},
        {"name_localizations": {"fr": "a"}},
    ],
)
def test_digest_sees_any_change_in_the_payload(changed: dict[str, Any]) -> None:
    """No key list to keep: a key nobody thought of still counts."""
    base = {"name": "a", "type": 1, "options": [{"name": "x", "type": 3}]}

    assert commands_digest([base]) != commands_digest([base | changed])


def tree_with(**options: Any) -> app_commands.CommandTree[Any]:
    @app_commands.command(name="probe", description="a probe", **options)
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("probed")

    tree = create_bot(Settings()).tree
    tree.add_command(probe)
    return tree


async def test_digest_of_the_tree_sees_nsfw() -> None:
    """`nsfw` is left out of the payload unless set, so setting it changes what is sent."""
    plain = commands_digest(await global_payloads(tree_with()))

    assert plain == commands_digest(await global_payloads(tree_with(nsfw=False)))
    assert plain != commands_digest(await global_payloads(tree_with(nsfw=True)))


def test_state_file_round_trip_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "command-sync.json"

    save_records(path, {"1": "abc"})
    save_records(path, {"1": "def", "2": "abc"})

    assert load_records(path) == {"1": "def", "2": "abc"}
    assert [p.name for p in path.parent.iterdir()] == ["command-sync.json"]


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"\xff\xfe", b"[]", b'{"other": {}}', b'{"global_commands": {"1": 2}}'],
)
def test_a_corrupt_state_file_reads_as_no_record(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "command-sync.json"
    path.write_bytes(content)

    assert load_records(path) == {}


def test_a_missing_state_file_reads_as_no_record(tmp_path: Path) -> None:
    assert load_records(tmp_path / "absent.json") == {}


def test_state_lives_under_xdg_state_home_or_local_state() -> None:
    """The XDG base-directory spec: a relative XDG_STATE_HOME is ignored."""
    end = Path("coach-plans", "command-sync.json")
    assert default_state_path({"XDG_STATE_HOME": "/var/state", "HOME": "/home/a"}) == (
        Path("/var/state") / end
    )
    assert default_state_path({"XDG_STATE_HOME": "rel", "HOME": "/home/a"}) == (
        Path("/home/a/.local/state") / end
    )
    assert default_state_path({"HOME": "/home/a"}) == Path("/home/a/.local/state") / end
