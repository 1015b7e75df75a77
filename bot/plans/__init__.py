"""The Coach Plan API client: async (`CoachPlanClient`) and blocking (`SyncCoachPlanClient`).

Free of Discord: agents import this package without discord.py being loaded.
"""

from .client import CoachPlanClient as CoachPlanClient
from .config import DEFAULT_COACHES as DEFAULT_COACHES
from .config import ClientArgs as ClientArgs
from .config import ClientConfig as ClientConfig
from .history import PlanEdit as PlanEdit
from .history import PlanHistory as PlanHistory
from .models import BadResponse as BadResponse
from .models import CoachPlan as CoachPlan
from .models import ErrorCategory as ErrorCategory
from .models import InvalidInput as InvalidInput
from .models import PlanError as PlanError
from .models import PlanNotFound as PlanNotFound
from .models import PlanUnavailable as PlanUnavailable
from .models import Rejected as Rejected
from .sync import SyncCoachPlanClient as SyncCoachPlanClient

__all__ = (
    "DEFAULT_COACHES",
    "BadResponse",
    "ClientArgs",
    "ClientConfig",
    "CoachPlan",
    "CoachPlanClient",
    "ErrorCategory",
    "InvalidInput",
    "PlanEdit",
    "PlanError",
    "PlanHistory",
    "PlanNotFound",
    "PlanUnavailable",
    "Rejected",
    "SyncCoachPlanClient",
)
