"""Disputes (申诉), whoever asks: a rep says a ledger line is wrong or a deal is missing; a manager of the rep's
team (or an admin) accepts or rejects it with a note. An accepted dispute may carry an adjustment, which becomes
an event in the log (``game.adjustments``), so the live board, a rescore and the simulator all count it.

Limits: a message of at most ``MAX_MESSAGE`` characters, one open dispute per ledger line, at most
``MAX_OPEN_PER_REP`` open disputes per rep, and only about contests the rep takes part in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.adjustments import adjustment_event, adjustment_time
from game.contests import Contest
from game.events import ADJUSTMENT_TYPE, Event, id_of_key
from game.scoring import decide
from game.store import Plan, Store
from server.errors import ApiError
from server.services.dispute_store import Dispute, DisputeConflict
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

MAX_MESSAGE = 500
MAX_NOTE = 500
MAX_OPEN_PER_REP = 10
MAX_LISTED = 200
LEDGER_PAGE = 500
FILED_IN = ("live", "paused", "ended")  # a contest with points to dispute
WRITE_ATTEMPTS = 3


async def find_line(store: Store, contest: Contest, rep_id: str, event: str) -> dict[str, Any] | None:
    """The newest line of the rep's ledger in the contest for the event ``event`` (its id as the ledger shows it)."""
    found, cursor = None, "-"
    while True:
        page = await store.read_ledger(contest.id, contest.epoch, rep_id, cursor=cursor, count=LEDGER_PAGE)
        entries, following = page
        found = next((e for e in reversed(entries) if id_of_key(e["event"]) == event), found)
        if following is None:
            return found
        cursor = following


def new_dispute(
    rep: str, contest: Contest, kind: str, message: str, line: dict[str, Any] | None, now: datetime
) -> Dispute:
    dispute: Dispute = {
        "id": secrets.token_hex(6),
        "rep": rep,
        "contest": contest.id,
        "kind": kind,
        "message": message.strip(),
        "status": "open",
        "created_at": now.isoformat(),
    }
    if line is not None:
        dispute["event"] = id_of_key(line["event"])
        dispute["line"] = {"type": line["type"], "points": line["points"], "at": line["at"]}
    return dispute


def open_limit(rep: str) -> Any:
    """The check ``DisputeStore.file`` runs on every stored dispute: a rep has at most ``MAX_OPEN_PER_REP``."""

    def check(stored: list[Dispute]) -> None:
        if sum(1 for d in stored if d["rep"] == rep and d["status"] == "open") >= MAX_OPEN_PER_REP:
            raise ApiError(429, f"at most {MAX_OPEN_PER_REP} open disputes at a time: wait for an answer")

    return check


async def file_dispute(arena: Arena, rep: str, contest: Contest, kind: str, message: str, event: str | None) -> Dispute:
    """Check and store a rep's dispute; raises ``ApiError`` with what is wrong."""
    now = datetime.now(UTC)
    if contest.status_at(now) not in FILED_IN:
        raise ApiError(409, "this contest has no points to dispute yet")
    if kind == "wrong_points" and not event:
        raise ApiError(422, "name the ledger line that is wrong", [{"field": "event", "message": "a ledger event id"}])
    line = await find_line(arena.store, contest, rep, event) if event else None
    if event and line is None:
        raise ApiError(422, "no such line in your ledger", [{"field": "event", "message": "a line of your ledger"}])
    dispute = new_dispute(rep, contest, kind, message, line, now)
    try:
        await arena.disputes.file(dispute, open_limit(rep))
    except DisputeConflict:
        raise ApiError(409, "this line already has an open dispute") from None
    return dispute


def resolution(decision: str, note: str, adjustment: int | None, actor: str, now: datetime) -> Any:
    """What resolving makes of an open dispute."""

    def resolve(dispute: Dispute) -> Dispute:
        resolved = {
            **dispute,
            "status": decision,
            "decision": decision,
            "note": note.strip(),
            "resolved_at": now.isoformat(),
            "resolved_by": actor,
        }
        if adjustment:
            resolved["adjustment"] = adjustment
            resolved["adjustment_event"] = f"dispute-{dispute['id']}"
        return resolved

    return resolve


def adjustment_of(dispute: Dispute, contest: Contest, team: str | None, now: datetime) -> Event:
    line_at = datetime.fromtimestamp(dispute["line"]["at"], UTC) if dispute.get("line") else None
    return adjustment_event(
        dispute=dispute["id"],
        contest=contest.id,
        rep=dispute["rep"],
        team=team,
        points=int(dispute["adjustment"]),
        occurred_at=adjustment_time(contest.starts_at, contest.ends_at, line_at, now),
        now=now,
    )


def adjustment_plan(event: Event, snapshot: Snapshot) -> Plan:
    """The adjustment's writes: the contest's current epoch, and quietly the one being rebuilt by a rescore. An
    ended contest takes it too: an accepted dispute is a correction, not a late deal."""
    contest_id = event.attrs["contest"]
    contests = [snapshot.contests[contest_id]] if contest_id in snapshot.contests else []
    changes = decide(event, contests, snapshot.directory, snapshot.rates)
    if contest_id in snapshot.rebuilding:
        rebuilt = decide(event, [snapshot.rebuilding[contest_id]], snapshot.directory, snapshot.rates)
        changes += [replace(c, replay=True, quiet=True) for c in rebuilt]
    return Plan(event, changes)


async def write_adjustment(arena: Arena, event: Event) -> None:
    """Log the adjustment and apply it; a contest whose epoch moved on meanwhile is planned again."""
    snapshot = await arena.registry.current()
    [result] = await arena.store.write_events([adjustment_plan(event, snapshot)])
    for _attempt in range(WRITE_ATTEMPTS):
        if not result.stale:
            return
        snapshot = await arena.registry.current(force=True)
        [result] = await arena.store.write_events([adjustment_plan(event, snapshot)], log=False)


async def resolve_dispute(
    arena: Arena, dispute_id: str, decision: str, note: str, adjustment: int | None, actor: str
) -> Dispute | None:
    """Resolve an open dispute (audited with it) and write its adjustment; None when there is no such dispute."""
    now = datetime.now(UTC)
    snapshot = await arena.registry.current()
    stored = await arena.disputes.get(dispute_id)
    if stored is None:
        return None
    if adjustment and stored["contest"] not in snapshot.contests:
        raise ApiError(409, "the contest is gone: there is nothing to adjust")
    try:
        resolved = await arena.disputes.resolve(
            dispute_id, resolution(decision, note, adjustment, actor, now), actor, f"dispute.{decision}"
        )
    except DisputeConflict:
        raise ApiError(409, "this dispute is already resolved") from None
    if resolved is not None and resolved.get("adjustment"):
        contest = snapshot.contests[resolved["contest"]]
        rep = snapshot.directory.reps.get(resolved["rep"])
        await write_adjustment(arena, adjustment_of(resolved, contest, rep.team if rep else None, now))
        # A closed contest's kept results follow its board, as after any correction: told once, never re-crowned.
        await arena.scheduler.correct(contest.id, actor, f"dispute {dispute_id}: {note}")
    return resolved


def visible(disputes: Iterable[Dispute], may_see: Any, contest: str | None, status: str | None) -> list[Dispute]:
    """The disputes a caller may see, narrowed by contest and status: open ones first, then the newest."""
    shown = [
        d
        for d in disputes
        if may_see(d) and (contest is None or d["contest"] == contest) and (status is None or d["status"] == status)
    ]
    shown.sort(key=lambda d: d["created_at"], reverse=True)
    shown.sort(key=lambda d: d["status"] != "open")
    return shown[:MAX_LISTED]


def adjustment_dispute(event_key: str, event_type: str) -> str | None:
    """The dispute behind a ledger line of an adjustment (``dispute:dispute-<id>``), else None."""
    if event_type != ADJUSTMENT_TYPE:
        return None
    return id_of_key(event_key).removeprefix("dispute-")
