"""The demo week's plan texts, one entry per coach per session, oldest first.

Kept apart from the logic in demo.py so the prose can be edited without reading code.
The same five texts land on whatever sessions the calendar gives, so the prose never
names a day itself: `{previous}` and `{next}` become "yesterday"/"tomorrow" when
that session is the adjacent calendar day and the weekday's name otherwise (Friday
after Thanksgiving: "Wednesday's close"). Any text that schedules something after
13:00 ET has a `half_day` version, used on early-close days, which start with
`HALF_DAY_NOTE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, final

HALF_DAY_NOTE: Final = "Half day: the market closes at 13:00 ET."


@final
@dataclass(frozen=True, slots=True)
class Earlier:
    """A version the coach replaced, who replaced it and how many minutes after posting."""

    text: str
    edited_by: str
    minutes: int


@final
@dataclass(frozen=True, slots=True)
class DemoPlan:
    """One coach's plan for one session; `half_day` replaces `text` on an early close."""

    text: str
    charts: tuple[str, ...] = ()
    earlier: tuple[Earlier, ...] = ()
    half_day: str | None = None


# A coach's sessions: None is a session the coach skipped.
DemoWeek = tuple[DemoPlan | None, ...]

DEMO_COACHES: Final[dict[str, tuple[str, str, DemoWeek]]] = {
    "d": (
        "dana.daytrades",
        "day-trading",
        (
            DemoPlan(
                "SPY gap-and-go above the 512.40 premarket high. Entry on the first 5m close "
                "above it, target 515, stop 510.80. Size down before 10:00 — spreads are wide.",
                charts=("spy-5m",),
            ),
            DemoPlan(
                "NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920. "
                "No chasing past 955.",
                charts=("nvda-daily",),
            ),
            DemoPlan(
                "AAPL inside day after earnings drift. Long over 228.60, short under 225.10; "
                "first target is {previous}'s range edge. Flat by lunch.",
                charts=("aapl-daily",),
            ),
            DemoPlan(
                "TSLA opening-range (first 15m) breakout only. Over the high → 262 then 268; "
                "stop back inside the range. Skip it if volume is under 1.5x average.",
                charts=("tsla-1h",),
            ),
            DemoPlan(
                "QQQ red-to-green: a reclaim of 441.20 ({previous}'s close) is the trigger, "
                "targets 444 and 447, stop 439.90. Two trades max today.",
                charts=("qqq-15m", "spy-5m"),
                earlier=(
                    Earlier(
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
            DemoPlan(
                "VWAP reclaims only today. MSFT holding 418 VWAP → long to 423; losing VWAP on "
                "a 5m close means out.",
                charts=("msft-daily",),
            ),
            DemoPlan(
                "ES 1h trend is up while above 5295. Buy pullbacks into 5300-5305, targets "
                "5330 / 5345, stop 5288.",
                charts=("es-futures-1h",),
                earlier=(
                    Earlier(
                        "ES 1h trend up above 5295. Buying dips, stop 5285.", "ivan_intraday", 52
                    ),
                ),
            ),
            DemoPlan(
                "Choppy tape expected into the 14:00 ET auction. AMD 165.50 ↔ 169 range trade: "
                "fade the edges, stop 0.60 outside.",
                half_day="Thin, choppy tape expected into the early close. AMD 165.50 ↔ 169 "
                "range trade: fade the edges, stop 0.60 outside, flat by 12:45 ET.",
            ),
            DemoPlan(
                "META: watch the 15m 9/21 EMA cross after 10:30. Long over 512 with a 507.80 "
                "stop, scale out at 518.",
            ),
            DemoPlan(
                "SPY 5m: if the lows keep rising after the open, add on holds of 514.25, stop "
                "under 513.40, target 517, then trail.",
                charts=("spy-5m",),
            ),
        ),
    ),
    "s": (
        "sam.swings",
        "swing-trading",
        (
            DemoPlan(
                "NVDA daily: the weekly breakout retest at 900 is holding. Swing long 905-915, "
                "stop 878 on a daily close, targets 980 / 1020 over 2-3 weeks.",
                charts=("nvda-daily",),
            ),
            DemoPlan(
                "AAPL cup-and-handle on the daily, handle low 221.40. Entry on a close over "
                "232, stop 221, first target 245.",
                charts=("aapl-daily",),
            ),
            DemoPlan(
                "MSFT pulled back to the rising 50-day (412). Starter position here, add over "
                "425, stop 404. Risk 0.5% of the account.",
                charts=("msft-daily",),
                earlier=(
                    Earlier(
                        "MSFT pulled back to the rising 50-day (412). Starter here.",
                        "sam.swings",
                        25,
                    ),
                    Earlier(
                        "MSFT pulled back to the rising 50-day (412). Starter here, add over "
                        "425, stop 400.",
                        "mod_rachel",
                        140,
                    ),
                ),
            ),
            DemoPlan(
                "XLE is breaking a 4-month downtrend line at 94.50. Long over 95, stop 91.80, "
                "target 101. Size for gap risk around the weekly oil inventory report.",
            ),
            DemoPlan(
                "TSLA is still below the 200-day (245). No swing long until a weekly close "
                "above it; 228 is the line for shorts.",
                charts=("tsla-1h",),
            ),
        ),
    ),
    "n": (
        "nina_news",
        "news-events",
        (
            DemoPlan(
                "CPI at 8:30 ET, consensus 0.3% m/m core. A hot print means TLT and QQQ lower; "
                "no trades in the first 5 minutes after the release.",
                charts=("cpi-reaction-spy-1m",),
            ),
            DemoPlan(
                "FOMC minutes at 14:00 ET. Flat into the release; the move after 14:15 tends "
                "to be the real one. Watch the 2y yield against 4.70%.",
                half_day="FOMC minutes come out after the early close, so the real move is "
                "{next}'s. Flat by 12:45 ET; watch the 2y yield against 4.70%.",
            ),
            DemoPlan(
                "Earnings after the close: NVDA, implied move ±8.5%. No overnight holds; plan "
                "{next}'s reaction trade off 945 / 1010.",
                charts=("nvda-daily",),
            ),
            None,  # the coach skipped this session: the demo needs one "No plan available".
            DemoPlan(
                "Quiet calendar until Powell speaks at 13:00 ET, with the 10y auction at the "
                "same time. Keep size small before both.",
                half_day="Quiet calendar and a thin holiday tape. Keep size small and be flat "
                "before the 13:00 ET close.",
            ),
        ),
    ),
}
