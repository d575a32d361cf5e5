"""A rules change previewed before it is made: the contest replayed from the event log under the rules in
force and under the draft (as the rescore that follows the change would replay it, late events no manager
applied left out), and who moves between the two boards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from game.contest_replay import Boards
from game.contests import Contest
from game.directory import Directory
from game.exchange_rates import Rates
from game.log_event import LogEvent
from game.rule_change import Move, who_moves
from game.simulation import replay
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena


def _both(
    current: Contest, draft: Contest, events: list[LogEvent], directory: Directory, rates: Rates
) -> tuple[Boards, Boards]:
    return (
        replay(current, events, directory, contributions=False, rates=rates),
        replay(draft, events, directory, contributions=False, rates=rates),
    )


async def preview_change(arena: Arena, current: Contest, draft: Contest) -> dict[str, Any]:
    """``{"events": read, "moves": [Move…], "reps": on the new board}`` for changing ``current`` to ``draft``."""
    skip = await arena.late_events.unapplied(current.id)
    events = [
        e for e in await arena.event_log.read_events(min(current.starts_at, draft.starts_at)) if e.key not in skip
    ]
    snapshot = await arena.registry.current()
    before, after = await crunch(_both, current, draft, events, snapshot.directory, snapshot.rates)
    moves: list[Move] = who_moves(before.reps, after.reps)
    return {"events": len(events), "moves": moves, "reps": len(after.reps)}
