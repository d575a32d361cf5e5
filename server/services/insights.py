"""Insights at the edge: run the pure insight engines (``game.simulation``, ``game.lift``, ``game.flags``) on
the event log (read by ``server/services/event_log_store.py``) without blocking the event loop.

Shared by the JSON API (``server/api/insights.py``) and the lift page (``server/web/lift.py``).
Nothing here writes a board: simulations and reports only read the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from game.contests import Contest
from game.errors import Collector
from game.flags import HISTORY_PERIODS, Flag, detect
from game.lift import Period, lift_report
from game.log_event import LogEvent
from game.simulation import paused_gc
from server.auth.principals import Principal
from server.errors import ApiError
from server.services.ingest import ingest
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

CONCURRENT_REPLAYS = 2  # CPU-bound work at once per process (each runs in a worker thread)

_replays = asyncio.Semaphore(CONCURRENT_REPLAYS)
T = TypeVar("T")


async def crunch(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run CPU-bound pure work in a worker thread, a bounded number at a time, with cycle collection paused."""

    def run() -> T:
        with paused_gc():
            return work(*args, **kwargs)

    async with _replays:
        return await asyncio.to_thread(run)


# --- lift -----------------------------------------------------------------------------------------------


def lift_since(contest: Contest, baseline: Period | None) -> datetime:
    """Where the log must be read from for a lift report (to now: later reversals count)."""
    default = contest.starts_at - (contest.ends_at - contest.starts_at)
    return min(baseline.start, contest.starts_at) if baseline else default


def flags_since(contest: Contest) -> datetime:
    """Where the log must be read from for the flags: three contest lengths of "normal" before the start."""
    return contest.starts_at - HISTORY_PERIODS * (contest.ends_at - contest.starts_at)


async def contest_lift(
    arena: Arena,
    contest: Contest,
    baseline: Period | None,
    events: list[LogEvent] | None = None,
    *,
    interim: bool = False,
) -> dict[str, Any]:
    """The lift report of an ended contest; with ``interim``, of a running one too (to date, marked interim)."""
    now = datetime.now(UTC)
    if contest.starts_at > now:
        raise ApiError(409, f"the contest has not started yet ({contest.starts_at.isoformat()})")
    if contest.ends_at > now and not interim:
        raise ApiError(409, f"the lift report is ready once the contest has ended ({contest.ends_at.isoformat()})")
    if events is None:
        events = await arena.event_log.read_events(lift_since(contest, baseline))
    directory = (await arena.registry.current()).directory
    return await crunch(lift_report, contest, events, directory, baseline=baseline, until=now)


# --- flags ----------------------------------------------------------------------------------------------


def badge_thresholds(snapshot: Snapshot) -> list[Decimal]:
    """Per-deal amounts that mean something to reps: big-deal badges."""
    return [b.amount for b in snapshot.badges if b.kind == "big_deal" and b.amount is not None]


async def contest_flags(
    arena: Arena, contest: Contest, extra_thresholds: list[Decimal], events: list[LogEvent] | None = None
) -> list[dict[str, Any]]:
    """The contest's flags as a manager sees them (with any decision taken), kept for the decision call."""
    if contest.starts_at > datetime.now(UTC):
        return []
    snapshot = await arena.registry.current()
    if events is None:
        events = await arena.event_log.read_events(flags_since(contest))
    thresholds = badge_thresholds(snapshot) + extra_thresholds
    flags: list[Flag] = await crunch(detect, contest, events, snapshot.directory, thresholds)
    decisions = await arena.flags.keep({flag.id: _stored(flag) for flag in flags}) if flags else []
    out = []
    for flag, decision in zip(flags, decisions, strict=True):
        rep = snapshot.directory.reps.get(flag.rep)
        out.append(
            {
                **flag.as_dict(),
                "name": rep.name if rep else flag.rep,
                "decision": decision,
            }
        )
    # a reversed flag's events no longer stand, so it is not detected again: it stays listed with its decision
    for stored, decision in await arena.flags.decided(contest.id, {flag.id for flag in flags}):
        rep = snapshot.directory.reps.get(stored["rep"])
        listed = [{"id": event_id, "type": "", "occurred_at": ""} for event_id in stored["event_ids"]]
        shown = {**stored, "reversible": [], "evidence": {}, "events": listed}
        out.append({**shown, "name": rep.name if rep else stored["rep"], "decision": decision})
    return out


def _stored(flag: Flag) -> dict[str, Any]:
    """What a decision needs later, whatever the log looks like by then: the flag and what "reverse" undoes."""
    return {
        "id": flag.id,
        "kind": flag.kind,
        "contest": flag.contest,
        "rep": flag.rep,
        "explanation": flag.explanation,
        "event_ids": [e.id for e in flag.events],
        "reversible": [
            {
                "id": e.id,
                "source": e.source,
                "rep": e.rep,
                "type": e.type,
                # the deal key a reversal must name: an update's original, anything else itself
                "ref": e.ref if e.type == "deal.updated" and e.ref else e.id,
            }
            for e in flag.reversible
        ],
    }


DECISIONS = ("dismiss", "reverse")
MAX_NOTE = 1000


async def decide_flag(arena: Arena, principal: Principal, flag_id: str, decision: Any, note: Any) -> dict[str, Any]:
    """A manager's decision on a flag: ``dismiss`` changes nothing; ``reverse`` posts ``deal.reversed`` for the
    flag's events through the normal ingest path. Decisions are final and written to the audit log."""
    errors = Collector()
    if decision not in DECISIONS:
        errors.add("decision", 'must be "dismiss" or "reverse"')
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        errors.add("note", f"must be text of at most {MAX_NOTE} characters")
    if errors.errors:
        raise ApiError(422, "invalid decision", [e.as_dict() for e in errors.errors])
    flag = await arena.flags.flag(flag_id)
    if flag is None:
        raise ApiError(404, f"no flag {flag_id!r}: list the contest's flags first")
    snapshot = await arena.registry.current()
    contest = snapshot.contests.get(flag["contest"])
    if contest is None:
        raise ApiError(404, f"the contest of flag {flag_id!r} no longer exists")
    if not principal.manages_contest(contest, snapshot.directory):
        raise ApiError(403, f"contest {contest.id!r} has participants outside your teams")
    now = datetime.now(UTC)
    record: dict[str, Any] = {"decision": decision, "note": note or "", "by": principal.name, "at": now.isoformat()}
    earlier = await arena.flags.claim_decision(flag_id, record)
    if earlier is not None:
        raise ApiError(409, f"flag {flag_id!r} was decided already ({earlier.get('decision')} by {earlier.get('by')})")
    try:
        if decision == "reverse":
            record["reversed"] = await _reverse(arena, flag, now)
    except Exception:
        await arena.flags.release_decision(flag_id)
        raise
    audit = {**record, "flag": flag_id, "kind": flag["kind"], "rep": flag["rep"], "events": flag["event_ids"]}
    await arena.flags.record_decision(flag_id, record, principal.name, f"flag.{decision}", contest.id, audit)
    return {"id": flag_id, **record}


async def _reverse(arena: Arena, flag: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One ``deal.reversed`` per flagged event, with ids derived from the flag so a retry is a duplicate."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for index, event in enumerate(flag["reversible"]):
        by_source.setdefault(event["source"], []).append(
            {
                "id": f"{flag['id']}-{index}",
                "type": "deal.reversed",
                "rep": event["rep"],
                "ref": event["ref"],
                "occurred_at": now.isoformat(),
                "attrs": {"flag": flag["id"]},
            }
        )
    totals = {"accepted": 0, "duplicates": 0, "rejected": []}
    for source, raws in by_source.items():
        answer = await ingest(arena, raws, source=source, now=now)
        totals["accepted"] += answer["accepted"]
        totals["duplicates"] += answer["duplicates"]
        totals["rejected"] += answer["rejected"]
    return totals
