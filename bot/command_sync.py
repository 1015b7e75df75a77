"""When the slash commands go to Discord: on a change of what we would send, not on every start.

Global commands reach clients slowly and their bulk update is rate-limited,
so an unchanged restart must not resend them. Comparing our tree with
Discord's copy key by key missed every key nobody listed (setting `nsfw`,
removing `guild_only`), so instead the whole payload, exactly what
`CommandTree.sync` sends, is hashed, and the digest of the last successful
global sync is kept per application in a small JSON file. No record of this
application, another digest, an unreadable or corrupt file, or `--sync`: sync
and record the new digest. A failed sync records nothing.

With a dev guild the commands are copied there and synced at every start
(guild updates are instant and cheap), and the global list is left alone,
whatever `--sync` says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import discord
from discord import app_commands

log = logging.getLogger(__name__)

STATE_DIR_NAME: Final = "coach-plans"
STATE_FILE_NAME: Final = "command-sync.json"
#: The state file's one key: application id (a string, as JSON keys are) -> digest.
_RECORDS_KEY: Final = "global_commands"
#: Characters of a digest worth logging: enough to tell two syncs apart.
LOGGED_DIGEST_CHARS: Final = 12

SyncResult = Literal["guild", "global", "unchanged"]


def default_state_path(environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/coach-plans/command-sync.json`, or under `~/.local/state`.

    The XDG base-directory spec says a relative `XDG_STATE_HOME` is invalid
    and must be ignored. Takes the environment as an argument: only
    `bot.settings` reads the real one.
    """
    base, home = environ.get("XDG_STATE_HOME", ""), environ.get("HOME")
    if os.path.isabs(base):
        root = Path(base)
    else:
        root = (Path(home) if home else Path.home()) / ".local" / "state"
    return root / STATE_DIR_NAME / STATE_FILE_NAME


def commands_digest(payloads: Iterable[Mapping[str, Any]]) -> str:
    """sha256 of the payloads as canonical JSON: key order and command order do not count."""
    canonical = sorted(
        json.dumps(p, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for p in payloads
    )
    return hashlib.sha256(("[" + ",".join(canonical) + "]").encode()).hexdigest()


async def global_payloads(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """What `tree.sync()` sends for the global commands, translated as it would be."""
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in tree.get_commands()]
    return [await c.get_translated_payload(tree, translator) for c in tree.get_commands()]


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    *,
    dev_guild_id: int | None,
    force: bool,
    state_path: Path | None,
) -> SyncResult:
    """Sync by the policy above; `state_path=None` remembers nothing, so every start syncs."""
    if dev_guild_id is not None:
        guild = discord.Object(dev_guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        log.info("synced %d command(s) to dev guild %s", len(synced), guild.id)
        return "guild"
    application_id = tree.client.application_id
    if application_id is None:
        raise app_commands.MissingApplicationID
    digest = commands_digest(await global_payloads(tree))
    key, shown = str(application_id), digest[:LOGGED_DIGEST_CHARS]
    records = {} if state_path is None else load_records(state_path)
    recorded = records.get(key)
    if recorded == digest and not force:
        log.info(
            "global commands unchanged since the last sync (digest %s); not syncing"
            " (use --sync to force)",
            shown,
        )
        return "unchanged"
    if force:
        reason = "forced by --sync"
    elif state_path is None:
        reason = "no sync state file configured"
    elif recorded is None:
        reason = f"no record of a sync for application {key}"
    else:
        reason = f"commands changed since digest {recorded[:LOGGED_DIGEST_CHARS]}"
    synced = await tree.sync()
    log.info("synced %d global command(s), digest %s: %s", len(synced), shown, reason)
    if state_path is not None:
        try:
            save_records(state_path, records | {key: digest})
        except OSError as exc:
            log.warning("could not record the sync in %s (%s): the next start syncs again",
                        state_path, exc)  # fmt: skip
    return "global"


def load_records(path: Path) -> dict[str, str]:
    """Application id -> digest of its last global sync; empty when there is nothing to trust."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read the command sync state %s (%s): syncing", path, exc)
        return {}
    try:
        records = json.loads(text)[_RECORDS_KEY]
    except (ValueError, LookupError, TypeError):
        records = None
    if not isinstance(records, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in records.items()
    ):
        log.warning("the command sync state %s is corrupt: syncing, then rewriting it", path)
        return {}
    return records


def save_records(path: Path, records: Mapping[str, str]) -> None:
    """Write atomically (a temporary file, then a rename): a crash leaves the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({_RECORDS_KEY: dict(records)}, indent=2, sort_keys=True) + "\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
