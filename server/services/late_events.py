"""Late events, surfaced rather than swallowed: an event that would change a contest past its grace period.

That is an event dated inside a closed contest's window, or a reversal or update of a deal that scored in
it, whatever its own date. Ingestion names them in its answer (``late``) and keeps each new one in the
contest's list (``LateEventStore``), where its managers apply it (a correction) or dismiss it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.events import Event
from game.scoring import REVERSING_TYPES, UPDATING_TYPES
from server.services.late_store import late_record
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena


def closed_contests(snapshot: Snapshot, now: datetime) -> list[Contest]:
    """Running contests (not drafts, not archived) that no longer accept events: their grace period is over."""
    return [c for c in snapshot.contests.values() if c.state == "active" and not c.accepts_at(now)]


def dated_late(event: Event, closed: Sequence[Contest]) -> list[str]:
    """Closed contests whose window covers the event and that include its rep."""
    return [c.id for c in closed if c.covers(event.occurred_at) and c.includes(event.rep, event.team)]


async def surface(
    arena: Arena, snapshot: Snapshot, now: datetime, parsed: Sequence[tuple[int, Event]], new: Collection[str]
) -> list[dict[str, Any]]:
    """The answer's ``late`` list (``{"index", "id", "contests"}``) for the events of a request, keeping the new
    ones (event keys in ``new``) in each contest's list of late events."""
    closed = closed_contests(snapshot, now)
    if not closed:
        return []
    reps = snapshot.directory.reps
    known = [(index, replace(event, team=reps[event.rep].team)) for index, event in parsed if event.rep in reps]
    undoing = [
        (index, event)
        for index, event in known
        if event.ref_key and (event.type in REVERSING_TYPES or event.type in UPDATING_TYPES)
    ]
    asked = [(c.id, c.epoch, event.ref_key or "") for _, event in undoing for c in closed]
    standing = iter(await arena.store.deals_standing(asked))
    reversing: dict[int, list[str]] = {}
    for index, _ in undoing:
        reversing[index] = [c.id for c in closed if next(standing)]
    answer: list[dict[str, Any]] = []
    kept: list[tuple[str, dict[str, Any]]] = []
    for index, event in known:
        dated = dated_late(event, closed)
        undone = [c for c in reversing.get(index, []) if c not in dated]
        if not dated and not undone:
            continue
        answer.append({"index": index, "id": event.id, "contests": dated + undone})
        if event.key in new:
            kept += [(c, late_record(event, "dated")) for c in dated]
            kept += [(c, late_record(event, "reverses")) for c in undone]
    await arena.late_events.keep(kept)
    return answer
