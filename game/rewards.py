"""Reward points (奖励积分) — pure rules. Points are kept apart from contest scores: contest prizes, badges, kudos and
admins' grants credit them, each once per source ref (a contest closed again or a badge re-awarded credits
nothing new); redemptions spend them. Budgets are per calendar month (``2026-12``) and quarter (``2026-Q4``) in
the organisation's time zone, counted when a manager approves.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from game.errors import Collector

MAX_POINTS = 1_000_000  # the most one credit, grant, prize or badge may give, and the dearest reward
SOURCES = ("prize", "badge", "kudos", "grant")
PERIOD = re.compile(r"^(?P<year>20[0-9]{2})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$")


@dataclass(frozen=True)
class Credit:
    """Points owed to a rep, and the ref that makes crediting them idempotent."""

    rep: str
    points: int
    source: str
    ref: str
    note: str


def checked_points(value: Any, errors: Collector, field: str) -> int | None:
    """Reward points a prize or badge gives (None: none), recording what is wrong with them."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POINTS:
        errors.add(field, f"must be a whole number of reward points from 1 to {MAX_POINTS:,}")
        return None
    return value


def budget_periods(now: datetime, zone: tzinfo) -> tuple[str, str]:
    """The month and quarter an approval at ``now`` counts against, in the organisation's time zone."""
    local = now.astimezone(zone)
    return f"{local:%Y-%m}", f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def valid_period(period: str) -> bool:
    """``2026-12`` (a month) or ``2026-Q4`` (a quarter)."""
    return PERIOD.fullmatch(period) is not None


def cents(amount: Decimal) -> int:
    """Money in hundredths, as budgets count it."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(amount_cents: int) -> str:
    return str((Decimal(amount_cents) / 100).quantize(Decimal("0.01")))


def prize_credits(results: Mapping[str, Any], team_members: Mapping[str, Sequence[str]]) -> list[Credit]:
    """What a contest's kept results owe in reward points: each rep prize with ``reward_points`` to its winner, each
    team prize to every member of the team. The ref names the contest, the winner and the prize, so results kept
    again (a correction) credit only new winners."""
    contest = str(results.get("contest", ""))
    credits = []
    for award in results.get("prizes") or ():
        points = award.get("reward_points")
        if not points:
            continue
        prize = f"{zlib.crc32(str(award.get('prize', '')).encode()):08x}"
        winners = [award["id"]] if award.get("board", "reps") == "reps" else list(team_members.get(award["id"], ()))
        for rep in winners:
            ref = f"{contest}:{award.get('board', 'reps')}:{award['id']}:{prize}:{rep}"
            credits.append(Credit(rep, int(points), "prize", ref, f"{contest} · {award.get('prize', '')}"))
    return credits


def badge_credits(changes: Iterable[Mapping[str, Any]], points_of: Mapping[str, int]) -> list[Credit]:
    """What badge awards owe: a badge whose definition grants ``reward_points`` credits them once per instance
    (badge and period). A revocation takes nothing back: the points may be spent already."""
    credits = []
    for change in changes:
        badge = str(change.get("badge", ""))
        points = points_of.get(badge)
        if change.get("action") != "awarded" or not points:
            continue
        rep, period = str(change.get("rep", "")), str(change.get("period", ""))
        credits.append(Credit(rep, points, "badge", f"{rep}:{badge}:{period}", f"{badge} · {period}"))
    return credits


def over_budget(period: str, kind: str, limit: int, spent: int, over: int) -> str:
    """Why an approval was refused, with how far over the budget it would go."""
    if kind == "money":
        return (
            f"approving this would exceed the {period} budget of {money(limit)} by {money(over)} (spent {money(spent)})"
        )
    return f"approving this would exceed the {period} budget of {limit} points by {over} (spent {spent})"
