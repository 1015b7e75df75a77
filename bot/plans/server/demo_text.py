"""The demo week's plan texts, one entry per coach per trading day, oldest first.

Kept apart from the logic in demo.py so the prose can be edited without reading code.
"""

from __future__ import annotations

from typing import Final

# (text, chart names, earlier versions as (text, edited_by, minutes after posting)).
DemoEntry = tuple[str, tuple[str, ...], tuple[tuple[str, str, int], ...]] | None

DEMO_COACHES: Final[dict[str, tuple[str, str, tuple[DemoEntry, ...]]]] = {
    "d": (
        "dana.daytrades",
        "day-trading",
        (
            (
                "SPY gap-and-go above the 512.40 premarket high. Entry on the first 5m close "
                "above it, target 515, stop 510.80. Size down before 10:00 — spreads are wide.",
                ("spy-5m",),
                (),
            ),
            (
                "NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920. "
                "No chasing past 955.",
                ("nvda-daily",),
                (),
            ),
            (
                "AAPL inside day after earnings drift. Long over 228.60, short under 225.10; "
                "first target is yesterday's range edge. Flat by lunch.",
                ("aapl-daily",),
                (),
            ),
            (
                "TSLA opening-range (first 15m) breakout only. Over the high → 262 then 268; "
                "stop back inside the range. Skip it if volume is under 1.5x average.",
                ("tsla-1h",),
                (),
            ),
            (
                "QQQ red-to-green: a reclaim of 441.20 (yesterday's close) is the trigger, "
                "targets 444 and 447, stop 439.90. Two trades max today.",
                ("qqq-15m", "spy-5m"),
                (
                    (
                        "QQQ red-to-green: reclaim of 441.20 is the trigger, targets 444 and "
                        "447, stop 439.50.",
                        "dana.daytrades",
                        34,
                    ),
                ),
            ),
        ),
    ),
    "i": (
        "ivan_intraday",
        "intraday",
        (
            (
                "VWAP reclaims only today. MSFT holding 418 VWAP → long to 423; losing VWAP on "
                "a 5m close means out.",
                ("msft-daily",),
                (),
            ),
            (
                "ES 1h trend is up while above 5295. Buy pullbacks into 5300-5305, targets "
                "5330 / 5345, stop 5288.",
                ("es-futures-1h",),
                (("ES 1h trend up above 5295. Buying dips, stop 5285.", "ivan_intraday", 52),),
            ),
            (
                "Choppy tape expected into the 2pm auction. AMD 165.50 ↔ 169 range trade: fade "
                "the edges, stop 0.60 outside.",
                (),
                (),
            ),
            (
                "META: watch the 15m 9/21 EMA cross after 10:30. Long over 512 with a 507.80 "
                "stop, scale out at 518.",
                (),
                (),
            ),
            (
                "SPY 5m: higher lows since the open. Adding on holds of 514.25, stop under "
                "513.40, target 517, then trail.",
                ("spy-5m",),
                (),
            ),
        ),
    ),
    "s": (
        "sam.swings",
        "swing-trading",
        (
            (
                "NVDA daily: the weekly breakout retest at 900 is holding. Swing long 905-915, "
                "stop 878 on a daily close, targets 980 / 1020 over 2-3 weeks.",
                ("nvda-daily",),
                (),
            ),
            (
                "AAPL cup-and-handle on the daily, handle low 221.40. Entry on a close over "
                "232, stop 221, first target 245.",
                ("aapl-daily",),
                (),
            ),
            (
                "MSFT pulled back to the rising 50-day (412). Starter position here, add over "
                "425, stop 404. Risk 0.5% of the account.",
                ("msft-daily",),
                (
                    (
                        "MSFT pulled back to the rising 50-day (412). Starter here.",
                        "sam.swings",
                        25,
                    ),
                    (
                        "MSFT pulled back to the rising 50-day (412). Starter here, add over "
                        "425, stop 400.",
                        "mod_rachel",
                        140,
                    ),
                ),
            ),
            (
                "XLE is breaking a 4-month downtrend line at 94.50. Long over 95, stop 91.80, "
                "target 101. Oil inventories on Wednesday: size for gap risk.",
                (),
                (),
            ),
            (
                "TSLA is still below the 200-day (245). No swing long until a weekly close "
                "above it; 228 is the line for shorts.",
                ("tsla-1h",),
                (),
            ),
        ),
    ),
    "n": (
        "nina_news",
        "news-events",
        (
            (
                "CPI at 8:30 ET, consensus 0.3% m/m core. A hot print means TLT and QQQ lower; "
                "no trades in the first 5 minutes after the release.",
                ("cpi-reaction-spy-1m",),
                (),
            ),
            (
                "FOMC minutes at 14:00 ET. Flat into the release; the move after 14:15 tends "
                "to be the real one. Watch the 2y yield against 4.70%.",
                (),
                (),
            ),
            (
                "Earnings after the close: NVDA, implied move ±8.5%. No overnight holds; plan "
                "tomorrow's reaction trade off 945 / 1010.",
                ("nvda-daily",),
                (),
            ),
            None,  # the coach skipped this day: the demo needs one "No plan available".
            (
                "Quiet calendar until Powell speaks at 13:00 ET, with the 10y auction at the "
                "same time. Keep size small before both.",
                (),
                (),
            ),
        ),
    ),
}
