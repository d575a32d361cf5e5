"""Corrections after the close — pure: what changed between a closed contest's kept results and the results of
its rescored board, and the corrected results that replace them.

Kept results must always equal the final board. When a closed contest is rescored (its rules changed with a
reason, a late event applied), the results are computed again from the new board and the difference is kept
beside them, so everyone can see who moved, which prize moved and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from game.badges.champion import champion_awards
from game.directory import Rep

MAX_CORRECTIONS = 100  # kept per contest, the latest


def prizes_by_member(results: Mapping[str, Any], board: str = "reps") -> dict[str, str]:
    """Each member's prizes on a board, joined in the contest's order (``"¥5,000 + 团队聚餐"``)."""
    won: dict[str, list[str]] = {}
    for prize in results.get("prizes") or []:
        if prize.get("board", "reps") == board:
            won.setdefault(prize["id"], []).append(prize["prize"])
    return {member: " + ".join(prizes) for member, prizes in won.items()}


def _ranks(results: Mapping[str, Any]) -> dict[str, int]:
    return {row["id"]: row["rank"] for row in results.get("standings") or []}


def result_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every rep whose rank or prize differs between two results, in the new order (reps who left the board
    last): ``{"rep", "old_rank", "new_rank", "old_prize", "new_prize"}``."""
    old_ranks, new_ranks = _ranks(old), _ranks(new)
    old_prizes, new_prizes = prizes_by_member(old), prizes_by_member(new)
    order = list(new_ranks) + [rep for rep in old_ranks if rep not in new_ranks]
    order += sorted((set(old_prizes) | set(new_prizes)) - set(order))
    changes = []
    for rep in order:
        before = (old_ranks.get(rep), old_prizes.get(rep))
        after = (new_ranks.get(rep), new_prizes.get(rep))
        if before != after:
            changes.append(
                {"rep": rep, "old_rank": before[0], "new_rank": after[0], "old_prize": before[1], "new_prize": after[1]}
            )
    return changes


def corrected_results(
    kept: Mapping[str, Any], fresh: Mapping[str, Any], *, at: str, by: str, reason: str, version: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The results to keep in place of ``kept`` (computed again from the new board) and the correction added to
    them: ``{"at", "by", "reason", "changes"}``. Earlier corrections stay, the latest ``MAX_CORRECTIONS``."""
    correction = {"at": at, "by": by, "reason": reason, "changes": result_changes(kept, fresh)}
    corrections = [*(kept.get("corrections") or []), correction][-MAX_CORRECTIONS:]
    results = {
        **fresh,
        "final": True,
        "finalized_at": kept.get("finalized_at") or at,
        "corrected_at": at,
        "version": version,
        "corrections": corrections,
    }
    return results, correction


def badge_moves(
    kept: Mapping[str, Any], fresh: Mapping[str, Any], reps: Iterable[Rep]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(rep, badge kind) pairs to revoke (awarded by the old result only) and to award (by the new one only)."""
    members: Sequence[Rep] = list(reps)
    before, after = champion_awards(kept, members), champion_awards(fresh, members)
    return [pair for pair in before if pair not in after], [pair for pair in after if pair not in before]
