"""Results people trust: a contest's versions (who changed its rules, when, why, what) and the events that came
after its grace period, which its managers apply (a correction of the closed results) or dismiss."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct
from starlette.requests import Request

from server.api.codec import decode_body
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import READERS, TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, managed_contest, require
from server.services.contest_versions import versions_of
from server.services.rescore_runs import claim_rescore, launch_rescore


class FieldChange(Struct):
    field: Annotated[str, Meta(examples=["rules[0].points_per", "ends_at"])]
    from_: Any = msgspec.field(name="from", default=None)
    to: Any = None


class Version(Struct):
    version: int
    at: str | None
    by: str
    reason: str | None
    changes: list[FieldChange]


class Versions(Struct):
    contest: str
    version: int
    versions: list[Version]


class LateEvent(Struct, omit_defaults=True):
    """An event that would change the contest past its grace period: dated in its window (``why``: ``dated``) or
    reversing or updating a deal that scored in it (``reverses``)."""

    id: str
    key: str
    type: str
    rep: str
    occurred_at: str
    received_at: str
    why: Literal["dated", "reverses"]
    status: Literal["pending", "applied", "dismissed"]
    source: str = "api"
    ref: str | None = None
    category: str | None = None
    amount: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    rescore: str | None = None


class LateEvents(Struct):
    contest: str
    pending: int
    events: list[LateEvent]


class LateDecision(Struct):
    decision: Literal["apply", "dismiss"]
    reason: Annotated[str, Meta(max_length=500, examples=["客户退款已核实"])] | None = None


async def contest_versions(request: Request) -> ArenaJSONResponse:
    """Every version of a contest: who made it, when, why, and the field-level difference to the one before."""
    await require(request, lambda p: p.may_read_contest(request.path_params["id"]), "read this contest")
    contest_id = request.path_params["id"]
    document = await arena_of(request).registry.contest_document(contest_id)
    if document is None:
        raise ApiError(404, f"no contest {contest_id!r}")
    return ArenaJSONResponse(
        {"contest": contest_id, "version": int(document.get("version", 1)), "versions": versions_of(document)}
    )


async def late_events(request: Request) -> ArenaJSONResponse:
    """The events that came past the contest's grace period, for its managers to apply or dismiss."""
    principal = await require(request, lambda p: p.can_manage, "read late events")
    contest = await managed_contest(request, principal)
    events = await arena_of(request).late_events.listed(contest.id)
    pending = sum(1 for event in events if event["status"] == "pending")
    return ArenaJSONResponse({"contest": contest.id, "pending": pending, "events": events})


async def decide_late_event(request: Request) -> ArenaJSONResponse:
    """Apply a late event (the contest is rescored with it and its closed results corrected) or dismiss it with
    a reason; both audited."""
    principal = await require(request, lambda p: p.can_manage, "decide late events")
    arena = arena_of(request)
    contest = await managed_contest(request, principal)
    body = await decode_body(request, LateDecision, "decision")
    reason = (body.reason or "").strip()
    record = await arena.late_events.find(contest.id, request.path_params["event"])
    if record is None:
        raise ApiError(404, f"no late event {request.path_params['event']!r} in contest {contest.id!r}")
    if body.decision == "dismiss" and not reason:
        raise ApiError(422, "say why the event is dismissed", [{"field": "reason", "message": "required to dismiss"}])
    if record["status"] != "pending":
        raise ApiError(409, f"the event was {record['status']} already by {record.get('decided_by')}")
    apply = body.decision == "apply"
    reason = reason or f"late event {record['id']} applied"
    if apply:
        await claim_rescore(arena, contest.id, principal.name)
    decided = {
        **record,
        "status": "applied" if apply else "dismissed",
        "decided_by": principal.name,
        "decided_at": datetime.now(UTC).isoformat(),
        "reason": reason,
    }
    audit = {"event": record["key"], "decision": body.decision, "reason": reason, "type": record["type"]}
    if not await arena.late_events.decide(contest.id, decided, principal.name, audit):
        if apply:
            await arena.rescores.release(contest.id)
        raise ApiError(409, "the event was decided a moment ago by someone else")
    if apply:
        launch_rescore(arena, contest.id, None, principal.name, reason)
        decided["rescore"] = "running"
    return ArenaJSONResponse(decided)


NO_CONTEST = not_found("contest")

routes = [
    ApiRoute(
        "/contests/{id}/versions",
        contest_versions,
        "GET",
        Operation(
            "Every version of a contest with its author, time, reason and field-level difference",
            "contests",
            "read",
            response=Versions,
            answers=(NO_CONTEST,),
            access=READERS,
        ),
    ),
    ApiRoute(
        "/contests/{id}/late",
        late_events,
        "GET",
        Operation(
            "Events that came past the contest's grace period (to apply or dismiss)",
            "contests",
            "manage",
            response=LateEvents,
            answers=(NO_CONTEST,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/{id}/late/{event}",
        decide_late_event,
        "POST",
        Operation(
            "Apply a late event (rescore and correct the results) or dismiss it with a reason",
            "contests",
            "manage",
            body=LateDecision,
            response=LateEvent,
            answers=(
                Answer(404, "no such late event", body={"decision": "apply"}, path={"id": "{contest}"}),
                Answer(422, "no such decision", "decision", body={"decision": "maybe"}, path={"id": "{contest}"}),
                NO_CONTEST,
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
