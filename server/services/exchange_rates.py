"""Monthly exchange rates: set by a manager, read by scoring (``Snapshot.rates``), and what setting one does.

Boards always show the event log scored at the rates in force: setting or changing a month's rate rescores the
contests that month touches and that score money (their deals in other currencies then count at the new rate,
those that were waiting for it included), so a later rescore gives the very same boards. Deals logged while
their month had no rate are counted under ``RATES_WAITING`` until the rate is set, so a manager sees what waits
(``Registry.rates_waiting``); a first rate for a month no deal waited for changes no board and rescores nothing
(deals brought in by ``scripts.events import`` are not counted: rescore their contests after setting the rate).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from game.contests import Contest
from server.errors import ApiError
from server.services.rescore_runs import claim_rescore, launch_rescore

if TYPE_CHECKING:
    from server.arena import Arena


def month_span(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in the organisation's zone."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=ZoneInfo(timezone))
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def touched(contests: list[Contest], month: str, timezone: str) -> list[Contest]:
    """The contests whose boards a rate of ``month`` can change: active or paused, scoring money, overlapping it."""
    start, end = month_span(month, timezone)
    return [
        contest
        for contest in contests
        if contest.state in ("active", "paused")
        and any(rule.points_per is not None for rule in contest.rules)
        and contest.starts_at < end
        and start < contest.ends_at
    ]


async def set_month_rates(arena: Arena, month: str, rates: dict[str, Decimal], actor: str) -> dict[str, Any]:
    """Store the month's rates and rescore what they change: contests rescored, and those that could not be
    (a rescore already running, a log trimmed past their start) with why, for the manager to rescore later."""
    replaced, waited = await arena.registry.put_rates(month, rates, actor)
    # Deals scored at a rate that changed, or deals that waited for one: nothing else in the log can move.
    changed = any(currency in replaced and replaced[currency] != rate for currency, rate in rates.items()) or any(
        waited.values()
    )
    snapshot = await arena.registry.current(force=True)
    rescoring: list[str] = []
    not_rescored: list[dict[str, str]] = []
    if changed:
        for contest in touched(list(snapshot.contests.values()), month, arena.settings.timezone):
            try:
                await claim_rescore(arena, contest.id, actor)
            except ApiError as exc:
                not_rescored.append({"contest": contest.id, "reason": exc.message})
                continue
            launch_rescore(arena, contest.id, None, actor, f"exchange rates for {month}")
            rescoring.append(contest.id)
    return {
        "month": month,
        "rates": {currency: str(rate) for currency, rate in sorted(rates.items())},
        "rescoring": rescoring,
        "not_rescored": not_rescored,
    }
