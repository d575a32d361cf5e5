"""Reward points, whoever credits them, and redemptions, whoever asks: the one place other features call.

Kudos (and anything else that rewards a rep) calls ``credit_reward_points(arena, rep, points, source, ref)``:
``source`` is one of ``game.rewards.SOURCES`` and ``ref`` names what earned the points (the kudos' id); the same
source and ref credit once, however often it is called, so a retry is always safe. Contest prizes and badges with
``reward_points`` are credited by the scheduler on every tick (``credit_owed_prizes`` once a contest's results
are kept or corrected, ``credit_badges`` from the badge feed).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.rewards import MAX_POINTS, SOURCES, Credit, badge_credits, budget_periods, over_budget, prize_credits
from server.errors import ApiError

if TYPE_CHECKING:
    from server.arena import Arena

BADGE_BATCH = 500
CREDITED, ALREADY = "credited", "already"


async def credit_reward_points(
    arena: Arena, rep: str, points: int, source: str, ref: str, note: str = "", actor: str = "system"
) -> str:
    """Credit ``points`` (a grant may be negative: a correction) to ``rep`` once per ``ref``: ``"credited"``, or
    ``"already"`` when that ref was credited before. Raises ``ApiError`` (409) for a debit beyond the balance and
    ``ValueError`` for an unknown source or points out of range."""
    if source not in SOURCES:
        raise ValueError(f"unknown reward source {source!r}: one of {', '.join(SOURCES)}")
    if not points or abs(points) > MAX_POINTS or (points < 0 and source != "grant"):
        raise ValueError(f"reward points must be 1 to {MAX_POINTS:,} (a grant may take points back)")
    audit = "reward.grant" if source == "grant" else ""
    data = json.dumps({"points": points, "source": source, "ref": ref, "note": note}, ensure_ascii=False)
    at = datetime.now(UTC).isoformat()
    outcome = await arena.rewards.credit(rep, points, source, f"{source}:{ref}", note, at, actor, audit, data)
    if outcome.code < 0:
        raise ApiError(409, f"the rep has only {outcome.values[0]} reward points: {-points} cannot be taken back")
    return CREDITED if outcome.code == 1 else ALREADY


async def _credit_all(arena: Arena, credits: list[Credit]) -> int:
    credited = 0
    for credit in credits:
        done = await credit_reward_points(arena, credit.rep, credit.points, credit.source, credit.ref, credit.note)
        credited += done == CREDITED
    return credited


async def credit_prizes(arena: Arena, results: dict[str, Any]) -> int:
    """Credit the reward points a contest's kept results owe (called again after a correction: new winners only)."""
    directory = (await arena.registry.current()).directory
    members: dict[str, list[str]] = {}
    for rep in directory.reps.values():
        if rep.team and rep.active:
            members.setdefault(rep.team, []).append(rep.id)
    return await _credit_all(arena, prize_credits(results, members))


async def credit_owed_prizes(arena: Arena, contest: Contest) -> int:
    """Credit a closed contest's prizes once its results are kept, and again after each correction (new winners
    only). The scheduler asks on every tick, so a failure between keeping the results and crediting them is made
    good on the next one; a mark per contest (how many corrections were credited) keeps the ticks cheap."""
    if not any(prize.reward_points for prize in contest.prizes):
        return 0
    kept = await arena.store.results(contest.id)
    if not kept or not kept.get("final"):
        return 0
    mark, done = f"prizes:{contest.id}", str(len(kept.get("corrections") or ()))
    if await arena.rewards.cursor(mark) == done:
        return 0
    credited = await credit_prizes(arena, kept)
    await arena.rewards.move_cursor(mark, done)
    return credited


async def credit_badges(arena: Arena) -> int:
    """Credit the badges awarded since the last pass (the badge feed, from a cursor kept beside the balances). The
    first pass starts at the feed's end: reward points go with awards made after a badge was given them."""
    points_of = {b.id: b.reward_points for b in (await arena.registry.current()).badges if b.reward_points}
    cursor = await arena.rewards.cursor("badges")
    if cursor is None:
        await arena.rewards.move_cursor("badges", await arena.progress.newest_badge_change() or "0-0")
        return 0
    credited = 0
    while changes := await arena.progress.badge_changes_after(cursor, BADGE_BATCH):
        credited += await _credit_all(arena, badge_credits((c for _, c in changes), points_of))
        cursor = changes[-1][0]
        await arena.rewards.move_cursor("badges", cursor)
        if len(changes) < BADGE_BATCH:
            break
    return credited


# --- redemptions ---------------------------------------------------------------------------------------

REFUSED = {
    -1: (404, "no such reward"),
    -2: (409, "this reward is not offered now"),
    -3: (409, "this reward's cost has just changed: look again"),
    -5: (409, "this reward is out of stock"),
}


async def request_redemption(arena: Arena, rep: str, reward_id: str, actor: str) -> dict[str, Any]:
    """A rep redeems a reward: its cost is held until a manager decides. Raises ``ApiError`` with why not."""
    reward = await arena.rewards.reward(reward_id)
    if reward is None:
        raise ApiError(404, f"no reward {reward_id!r}")
    now = datetime.now(UTC).isoformat()
    redemption = {
        "id": secrets.token_hex(6),
        "rep": rep,
        "reward": reward["id"],
        "name": reward["name"],
        "cost": reward["cost"],
        "status": "requested",
        "requested_at": now,
    }
    if reward.get("value") is not None:
        redemption.update(value=reward["value"], value_cents=reward["value_cents"])
    outcome = await arena.rewards.redeem(redemption, now, actor)
    if outcome.code == -4:
        short = reward["cost"] - outcome.values[0]
        raise ApiError(
            409, f"not enough reward points: {outcome.values[0]} to spend, {short} short of {reward['cost']}"
        )
    if outcome.code == -6:
        raise ApiError(429, "too many requests awaiting a decision: wait for your manager's answer")
    if outcome.code < 0:
        status, message = REFUSED[outcome.code]
        raise ApiError(status, message)
    return await arena.rewards.redemption(redemption["id"]) or redemption


async def decide_redemption(arena: Arena, redemption: dict[str, Any], to: str, note: str, actor: str) -> dict[str, Any]:
    """Approve (within the month's and quarter's budgets), reject (points back) or mark delivered."""
    now = datetime.now(UTC)
    periods = budget_periods(now, arena.settings.zone)
    outcome = await arena.rewards.decide(redemption, to, actor, now.isoformat(), note.strip(), periods)
    if outcome.code == -1:
        raise ApiError(404, f"no redemption {redemption['id']!r}")
    if outcome.code == -2:
        raise ApiError(409, f"this redemption is {outcome.values[0]}: it cannot become {to}")
    if outcome.code == -3:
        period, kind, limit, spent, over = outcome.values
        raise ApiError(409, over_budget(str(period), str(kind), int(limit), int(spent), int(over)))
    decided = await arena.rewards.redemption(redemption["id"])
    return decided or redemption
