"""Coach plans as plain text for trading agents: functions, and LangChain tools on request.

An agent puts what a tool returns into its prompt, so these functions answer
every problem the API or the caller can cause with a sentence, never an
exception: a missing plan, a stale copy (and how old it is), an API that is
down, an unknown coach or a bad date all come back as text.

They share one `SyncCoachPlanClient`, built on first use from the variables
the bot reads (`PLANS_API_URL`, `PLANS_CACHE_TTL_SECONDS`, ...). This package
reads the environment itself because `bot.plans` imports nothing of ours, not
even `bot.settings`; both parse it with `bot.plans.envconfig`. The client is
closed at exit; `configure()` and `reset()` replace it, for tests and for apps
that configure it in code. LangChain is optional and imported only by
`get_langchain_tools()`.

Inside: `_env` (the environment), `_shared` (the client's life), `_answer`
(the functions), `_text` (plans and histories as sentences), `_langchain` (the tools).
"""

from ._answer import all_plans_text as all_plans_text
from ._answer import coach_plan_text as coach_plan_text
from ._answer import plan_history_text as plan_history_text
from ._env import COACH_NAMES as COACH_NAMES
from ._env import DEFAULT_API_URL as DEFAULT_API_URL
from ._env import ToolConfigError as ToolConfigError
from ._langchain import INSTALL_HINT as INSTALL_HINT
from ._langchain import get_langchain_tools as get_langchain_tools
from ._shared import configure as configure
from ._shared import get_client as get_client
from ._shared import reset as reset
from ._text import REPLACED_TEXT as REPLACED_TEXT

__all__ = (
    "COACH_NAMES",
    "DEFAULT_API_URL",
    "INSTALL_HINT",
    "REPLACED_TEXT",
    "ToolConfigError",
    "all_plans_text",
    "coach_plan_text",
    "configure",
    "get_client",
    "get_langchain_tools",
    "plan_history_text",
    "reset",
)
