"""Corrections after the close: when a closed contest is rescored (its rules changed with a reason, a late
event applied), its kept results, prizes and champion badges are computed again from the new board.

The difference is kept with the results (``game/corrections.py``); badges the old result awarded are revoked
and the new result's awarded, through the one badge write path; the contest's screens hear of the correction
once, on its doorbell (``contest.corrected``), never as a new champion celebration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.corrections import badge_moves, corrected_results
from server.services.recognition import crown_awards
from server.services.rewards import credit_prizes

if TYPE_CHECKING:
    from server.workers.scheduler import Scheduler


async def correct(scheduler: Scheduler, contest_id: str, by: str, reason: str) -> dict[str, Any] | None:
    arena = scheduler.arena
    kept = await arena.store.results(contest_id)
    if kept is None or not kept.get("final"):
        return None  # not crowned yet: the results will be computed from the board as it is then
    snapshot = await arena.registry.current(force=True)
    contest = snapshot.contests.get(contest_id)
    if contest is None:
        return None
    fresh = await scheduler.results(contest)
    at = datetime.now(UTC).isoformat()
    results, correction = corrected_results(kept, fresh, at=at, by=by, reason=reason, version=contest.version)
    await arena.store.replace_results(contest_id, results)
    await credit_prizes(arena, results)  # new winners' reward points (what was credited stays)
    revoke, award = badge_moves(kept, fresh, snapshot.directory.reps.values())
    for rep_id, kind in revoke:
        await scheduler.revoke(rep_id, kind, contest_id)
    for rep_id, kind in award:
        for badge in snapshot.badges:
            if badge.kind == kind:
                await scheduler.award(rep_id, badge.id, contest_id, {"contest": contest_id, "corrected": True})
    await crown_awards(arena, contest, results, by, corrected=True)  # a crown moves only if its winner did
    if correction["changes"]:
        await arena.store.ring_contest(
            contest_id,
            {
                "contest": contest_id,
                "type": "contest.corrected",
                "rep": results.get("champion") or "",
                "previous": kept.get("champion") or "",
                "version": contest.version,
                "correction": len(results["corrections"]),
                "reason": reason,
                "points": 0,
                "event": "",
            },
        )
    return results
