"""Disputes (申诉): a rep says a line of their ledger is wrong, or that a deal is missing; a manager of the rep's
team or an admin accepts or rejects it with a note, and an accepted dispute may adjust the rep's points (an event
in the log, a line of the ledger, an audit entry). The rules and limits are in ``server/services/disputes.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.adjustments import MAX_ADJUSTMENT
from game.directory import Directory
from server.api.codec import decode_body, decode_query
from server.api.contract import Answer, ApiRoute, Operation
from server.api.types import Text128
from server.auth.access import DISPUTE_FILER, DISPUTES, TEAM_MANAGER
from server.auth.principals import Principal
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.dispute_store import Dispute
from server.services.disputes import MAX_MESSAGE, MAX_NOTE, file_dispute, resolve_dispute, visible
from server.services.registry import Snapshot

Message = Annotated[str, Meta(min_length=1, max_length=MAX_MESSAGE, pattern=r"\S", description="In the rep's words.")]
Note = Annotated[str, Meta(min_length=1, max_length=MAX_NOTE, pattern=r"\S", description="Why, for the rep to read.")]
Adjustment = Annotated[
    int,
    Meta(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        description="Points to add (or, negative, take away) in the contest; only with accepted.",
    ),
]


def _is_rep(principal: Principal) -> bool:
    return principal.role == "rep" and principal.via_session and principal.rep_id is not None


def _shown(dispute: Dispute, snapshot: Snapshot) -> dict[str, Any]:
    """A dispute as the API answers it: with the rep's and the contest's names, and the line's time."""
    rep = snapshot.directory.reps.get(dispute["rep"])
    contest = snapshot.contests.get(dispute["contest"])
    shown = {**dispute, "rep_name": rep.name if rep else dispute["rep"]}
    shown["contest_name"] = contest.name if contest else dispute["contest"]
    if line := dispute.get("line"):
        at = datetime.fromtimestamp(line["at"], UTC)
        shown["line"] = {**line, "at": at.astimezone(contest.zone).isoformat() if contest else at.isoformat()}
    return shown


async def create_dispute(request: Request) -> ArenaJSONResponse:
    principal = await require(request, _is_rep, "file disputes (a rep signed in on the phone)")
    body = await decode_body(request, DisputeInput, "dispute")
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    contest = snapshot.contests.get(body.contest)
    if contest is None:
        raise ApiError(404, f"no contest {body.contest!r}")
    if not principal.may_file_dispute(contest, snapshot.directory):
        raise ApiError(403, "you take no part in this contest")
    rep = principal.rep_id or ""  # _is_rep
    dispute = await file_dispute(arena, rep, contest, body.kind, body.message, body.event)
    return ArenaJSONResponse(_shown(dispute, snapshot), status_code=201)


def _may_see(principal: Principal, directory: Directory) -> Any:
    if principal.role == "rep":
        return lambda d: d["rep"] == principal.rep_id
    return lambda d: principal.may_read_rep(d["rep"], directory)


async def list_disputes(request: Request) -> ArenaJSONResponse:
    """A rep's own disputes; a manager's teams'; an admin's (and read keys') all. ``open`` counts the open ones of
    the contest asked for (or all), whatever ``status`` narrows the list to."""
    principal = await require(request, lambda p: p.may_read_disputes(), "read disputes")
    query = decode_query(request, DisputeQuery)
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    stored = await arena.disputes.all()
    may_see = _may_see(principal, snapshot.directory)
    shown = visible(stored, may_see, query.contest, query.status)
    waiting = len(visible(stored, may_see, query.contest, "open"))
    return ArenaJSONResponse({"disputes": [_shown(d, snapshot) for d in shown], "open": waiting})


async def resolve(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "resolve disputes (managers and admins)")
    body = await decode_body(request, ResolveInput, "resolution")
    if body.adjustment is not None and (body.decision != "accepted" or body.adjustment == 0):
        raise ApiError(
            422,
            "an adjustment goes with an accepted dispute and is not 0",
            [{"field": "adjustment", "message": "non-zero points, with decision accepted"}],
        )
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    dispute_id = request.path_params["id"]
    dispute = await arena.disputes.get(dispute_id)
    if dispute is None:
        raise ApiError(404, f"no dispute {dispute_id!r}")
    if not principal.may_resolve_dispute(dispute["rep"], snapshot.directory):
        raise ApiError(403, "only a manager of the rep's team or an admin decides this dispute")
    resolved = await resolve_dispute(arena, dispute_id, body.decision, body.note, body.adjustment, principal.name)
    if resolved is None:
        raise ApiError(404, f"no dispute {dispute_id!r}")
    return ArenaJSONResponse(_shown(resolved, snapshot))


class DisputeInput(Struct, forbid_unknown_fields=True):
    contest: Text128
    kind: Literal["wrong_points", "missing_deal", "other"]
    message: Message
    event: Annotated[Text128, Meta(description="The ledger line's event id (required for wrong_points).")] | None = None


class ResolveInput(Struct, forbid_unknown_fields=True):
    decision: Literal["accepted", "rejected"]
    note: Note
    adjustment: Adjustment | None = None


class DisputedLine(Struct):
    type: str
    points: int
    at: str


class DisputeOut(Struct, omit_defaults=True):
    id: str
    status: Literal["open", "accepted", "rejected"]
    rep: str
    contest: str
    kind: str
    message: str
    created_at: str
    rep_name: str | None = None
    contest_name: str | None = None
    event: str | None = None
    line: DisputedLine | None = None
    decision: str | None = None
    note: str | None = None
    adjustment: int | None = None
    adjustment_event: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None


class DisputeList(Struct):
    disputes: list[DisputeOut]
    open: int


class DisputeQuery(Struct):
    contest: Annotated[str, Meta(description="Only this contest's disputes.")] | None = None
    status: Literal["open", "accepted", "rejected"] | None = None


routes = [
    ApiRoute(
        "/disputes",
        create_dispute,
        "POST",
        Operation(
            "Dispute a line of my ledger, or a missing deal",
            "disputes",
            "rep",
            body=DisputeInput,
            response=DisputeOut,
            status=201,
            answers=(Answer(403, "not a rep's session", body={"contest": "c", "kind": "other", "message": "?"}),),
            access=DISPUTE_FILER,
        ),
    ),
    ApiRoute(
        "/disputes",
        list_disputes,
        "GET",
        Operation(
            "Disputes: a rep's own, a manager's teams', an admin's all",
            "disputes",
            "people",
            response=DisputeList,
            query=DisputeQuery,
            answers=(Answer(422, "an unknown status", "status", query={"status": "maybe"}),),
            access=DISPUTES,
        ),
    ),
    ApiRoute(
        "/disputes/{id}/resolve",
        resolve,
        "POST",
        Operation(
            "Accept or reject a dispute, with a note and an optional adjustment of points",
            "disputes",
            "manage",
            body=ResolveInput,
            response=DisputeOut,
            answers=(
                Answer(404, "no such dispute", body={"decision": "rejected", "note": "no"}),
                Answer(422, "no decision", "decision", body={"note": "no"}),
                Answer(
                    422,
                    "an adjustment with a rejection",
                    "adjustment",
                    body={"decision": "rejected", "note": "no", "adjustment": 5},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
