"""A rules change previewed: ``POST /api/v1/contests/{id}/change-preview`` takes the body the change itself
(``PUT /api/v1/contests/{id}``) would take and answers who would move — rank and points before → after —
with nothing stored. Made with the same checks as the change: the draft's shape, its rules, the id, scope."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct
from starlette.requests import Request

from server.api.contest_payloads import ContestChangeBody
from server.api.contests import BAD_RULE, ENDS_FIRST, NO_CONTEST, checked_definition
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.change_preview import preview_change
from server.services.contests import ensure_scope, validated


async def change_preview(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "preview contest changes")
    arena = arena_of(request)
    contest_id = request.path_params["id"]
    document = await arena.registry.contest_document(contest_id)
    if document is None:
        raise ApiError(404, f"no contest {contest_id!r}")
    body = await checked_definition(request, contest_id)
    draft = validated(arena, body)
    snapshot = await arena.registry.current()
    current = arena.registry.contest_from(document)
    ensure_scope(principal, current, snapshot.directory)
    ensure_scope(principal, draft, snapshot.directory)
    if draft.id != contest_id:
        raise ApiError(422, "the id cannot change", [{"field": "id", "message": f"must be {contest_id!r}"}])
    preview = await preview_change(arena, current, draft)
    reps = snapshot.directory.reps
    moves = [
        {
            "rep": move.rep,
            "name": reps[move.rep].name if move.rep in reps else move.rep,
            "rank_before": move.rank_before,
            "rank_after": move.rank_after,
            "points_before": move.points_before,
            "points_after": move.points_after,
        }
        for move in preview["moves"]
    ]
    return ArenaJSONResponse({"id": contest_id, "events": preview["events"], "reps": preview["reps"], "moves": moves})


class RepMove(Struct):
    rep: str
    name: str
    rank_before: int | None
    rank_after: int | None
    points_before: Annotated[int | None, Meta(description="As the board shows them (per mille of target where so)")]
    points_after: int | None


class ChangePreview(Struct):
    id: str
    events: Annotated[int, Meta(description="Logged events replayed")]
    reps: Annotated[int, Meta(description="Reps on the board under the draft")]
    moves: Annotated[list[RepMove], Meta(description="Reps whose rank or points change, in their new order")]


routes = [
    ApiRoute(
        "/contests/{id}/change-preview",
        change_preview,
        "POST",
        Operation(
            "Who would move if the contest's rules changed to this definition: rank and points before → after "
            "(the contest replayed from the event log both ways; nothing stored)",
            "contests",
            "manage",
            body=ContestChangeBody,
            response=ChangePreview,
            answers=(
                NO_CONTEST,
                Answer(422, BAD_RULE.summary, BAD_RULE.field, BAD_RULE.body, path={"id": "{contest}"}),
                Answer(422, ENDS_FIRST.summary, "ends_at", ENDS_FIRST.body, path={"id": "{contest}"}, cross_field=True),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
