"""The one client the tools share: built on first use, replaced or closed under a lock."""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import threading
from collections.abc import Mapping
from typing import Unpack

from ..config import ClientArgs, ClientConfig
from ..redact import mask_url_credentials
from ..sync import SyncCoachPlanClient
from ._env import COACH_NAMES, ToolConfigError, read_env

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Shared:
    client: SyncCoachPlanClient
    names: Mapping[str, str]


#: Held while the shared client is built, replaced or closed, so there is only ever one.
_lock = threading.RLock()
_shared: Shared | None = None
_atexit_registered = False


def _install(new: Shared | None) -> None:
    """Make `new` (or nothing) the shared client and close the one it replaces."""
    global _shared, _atexit_registered
    with _lock:
        old, _shared = _shared, new
        if new is not None and not _atexit_registered:
            atexit.register(reset)
            _atexit_registered = True
        if old is not None:
            old.client.close()


def get_shared() -> Shared:
    """The shared client and its names, built from the environment on first use."""
    shared = _shared
    if shared is not None:
        return shared
    with _lock:
        shared = _shared
        if shared is None:
            config, names = read_env(os.environ)
            shared = Shared(SyncCoachPlanClient(config=config), names)
            _install(shared)
            log.info(
                "coach plan tools: shared client for %s",
                mask_url_credentials(config.api_base_url),
            )
        return shared


def is_current(shared: Shared) -> bool:
    """False once `configure()` or `reset()` has replaced `shared` (and closed its client)."""
    return _shared is shared


def known_names() -> Mapping[str, str]:
    """Coach names for tool descriptions, without building a client (no I/O at build)."""
    shared = _shared
    if shared is not None:
        return shared.names
    try:
        return read_env(os.environ)[1]
    except ToolConfigError:
        return COACH_NAMES


def get_client() -> SyncCoachPlanClient:
    """The shared client, built from the environment on first use (ToolConfigError if invalid)."""
    return get_shared().client


def configure(
    api_base_url: str | None = None,
    *,
    config: ClientConfig | None = None,
    coach_names: Mapping[str, str] | None = None,
    **args: Unpack[ClientArgs],
) -> SyncCoachPlanClient:
    """Replace the shared client: the environment's settings overridden by the arguments.

    They are CoachPlanClient's (`api_base_url`, `config`, `timeout`, `coaches`,
    `now`, ...); `coach_names` maps ids to the names the text uses. With
    `config`, the environment's client variables are not read. Calls still
    running on the old client may fail as it closes.
    """
    overridden = frozenset(args) | ({"api_base_url"} if api_base_url else frozenset())
    env_config, env_names = read_env(os.environ, overridden)
    client = SyncCoachPlanClient(api_base_url, config=config or env_config, **args)
    given = coach_names or {}
    names = {
        cid: given.get(cid) or env_names.get(cid) or COACH_NAMES.get(cid, cid)
        for cid in client.client.coaches
    }
    _install(Shared(client, names))
    return client


def reset() -> None:
    """Close and forget the shared client; the next call builds one from the environment."""
    _install(None)
