"""The tool functions as LangChain tools; langchain-core is imported by the call, not here.

Importing it at call time keeps `import bot.plans.tools` working without the
`agents` extra, and lets the call say which extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ._answer import all_plans_text, coach_plan_text, plan_history_text
from ._shared import known_names
from ._text import choices

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

INSTALL_HINT: Final = 'pip install langchain-core (or, in a clone: pip install -e ".[agents]")'


def get_langchain_tools() -> list[BaseTool]:
    """`coach_plan`, `all_coach_plans` and `plan_history` as LangChain tools with typed,
    described arguments."""
    try:
        from langchain_core.tools import StructuredTool
        from pydantic import BaseModel, Field
    except ImportError as exc:
        raise ImportError(f"The LangChain tools need langchain-core: {INSTALL_HINT}") from exc

    date_help = (
        "Trading session as YYYY-MM-DD, 'today' or 'previous' ('yesterday' also works). "
        "Leave empty for today: the current NYSE session, which on a weekend or holiday "
        "is the latest session before it."
    )

    coaches = choices(known_names())

    class CoachPlanArgs(BaseModel):
        coach: str = Field(description=f"Coach id or name, one of: {coaches}.")
        date: str | None = Field(default=None, description=date_help)

    class AllPlansArgs(BaseModel):
        date: str | None = Field(default=None, description=date_help)

    return [
        StructuredTool.from_function(
            func=coach_plan_text,
            name="coach_plan",
            description=(
                "Read one trading coach's plan for a day: author, posting time, the plan "
                "text and chart links. Says so when there is no plan or the service is down."
            ),
            args_schema=CoachPlanArgs,
            # Arguments an LLM got wrong come back as a sentence it can act on.
            handle_validation_error=(
                f"Invalid arguments. coach_plan takes `coach` (one of: {coaches}) and an "
                "optional `date` (YYYY-MM-DD, 'today' or 'previous')."
            ),
        ),
        StructuredTool.from_function(
            func=all_plans_text,
            name="all_coach_plans",
            description=(
                "Read every trading coach's plan for a day, one section per coach. "
                "Says which coaches posted nothing and whether the service is down."
            ),
            args_schema=AllPlansArgs,
            handle_validation_error=(
                "Invalid arguments. all_coach_plans takes an optional `date` "
                "(YYYY-MM-DD, 'today' or 'previous')."
            ),
        ),
        StructuredTool.from_function(
            func=plan_history_text,
            name="plan_history",
            description=(
                "Read how one trading coach's plan for a day was edited: each edit, newest "
                "first, with who made it, when and the words it removed and added, then the "
                "text as first posted. Says so when it was never edited or the service is down."
            ),
            args_schema=CoachPlanArgs,
            handle_validation_error=(
                f"Invalid arguments. plan_history takes `coach` (one of: {coaches}) and an "
                "optional `date` (YYYY-MM-DD, 'today' or 'previous')."
            ),
        ),
    ]
