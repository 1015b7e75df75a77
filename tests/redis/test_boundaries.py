"""The shared tier is optional: `import bot.plans` never loads redis-py, and the tier no Discord."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> list[str]:
    code = (
        f"import sys; {statement}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'redis', 'discord', 'cogs'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return eval(out.stdout)  # type: ignore[no-any-return]  # a list literal we printed


def test_import_bot_plans_does_not_import_redis() -> None:
    """Without a redis_url, the `redis` extra need not even be installed."""
    assert _modules_after("import bot.plans") == []


def test_the_shared_package_needs_no_redis_until_the_tier_is_imported() -> None:
    """Config checks and codecs work without the extra; the tier itself needs it."""
    assert _modules_after("import bot.plans.shared") == []
    assert _modules_after("import bot.plans.shared.tier") == ["redis"]


def test_a_client_needs_redis_only_with_a_redis_url() -> None:
    """Building (and closing) a client without `redis_url` loads no redis-py; with one it does."""
    run = "import asyncio; from bot.plans import CoachPlanClient; c = CoachPlanClient({}); "
    run += "asyncio.run(c.close())"
    assert _modules_after(run.format("")) == []
    with_url = run.format("redis_url='redis://127.0.0.1:9/0'")
    assert _modules_after(with_url) == ["redis"]
