"""Reference Coach Plan API: an aiohttp server over SQLite that speaks the contract.

It stands in for the deployed service in tests and in the offline mode, so it keeps
every quirk of /work/shared/coach-plan-api.md. Its clock is wall time in its own
configured zone (default America/New_York), never the machine's; its demo week is
NYSE sessions. `python -m bot.reference_api` runs it on its own. See
docs/reference-api.md.
"""

from __future__ import annotations

from ._clock import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE
from .app import create_app as create_app
from .charts import DEMO_CHART_NAMES as DEMO_CHART_NAMES
from .charts import PNG_SIGNATURE as PNG_SIGNATURE
from .charts import chart_png as chart_png
from .db import ForeignPlansError as ForeignPlansError
from .demo import demo_chart_assets as demo_chart_assets
from .demo import demo_rows as demo_rows
from .demo import fill_demo as fill_demo
from .demo import market_today as market_today
from .demo import trading_days as trading_days
from .loader import DEFAULT_COACHES as DEFAULT_COACHES
from .loader import LoadError as LoadError
from .loader import load_plans as load_plans
from .runner import DEFAULT_DB_PATH as DEFAULT_DB_PATH
from .runner import DEFAULT_DEMO_DB_PATH as DEFAULT_DEMO_DB_PATH
from .runner import RunningServer as RunningServer
from .runner import serve as serve

__all__ = [
    "DEFAULT_COACHES",
    "DEFAULT_DB_PATH",
    "DEFAULT_DEMO_DB_PATH",
    "DEFAULT_TIMEZONE",
    "DEMO_CHART_NAMES",
    "PNG_SIGNATURE",
    "ForeignPlansError",
    "LoadError",
    "RunningServer",
    "chart_png",
    "create_app",
    "demo_chart_assets",
    "demo_rows",
    "fill_demo",
    "load_plans",
    "market_today",
    "serve",
    "trading_days",
]
