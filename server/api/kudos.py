"""Public recognition over HTTP: kudos (赞) from a manager or admin, the kudos feed (paged, newest first), the
awards crowned from contests' results, and the hall of fame a TV's ``fame`` slide shows. The rules are in
``server/services/recognition.py``."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.awards import newest_first
from server.api.codec import decode_body, decode_query
from server.api.contract import Answer, ApiRoute, Operation
from server.api.types import Text64
from server.auth.access import READERS_NOT_DISPLAY, TEAM_MANAGER
from server.auth.principals import FAME_WALL
from server.errors import ApiError
from server.http import ArenaJSONResponse, arena_of, require
from server.services.hall_of_fame import hall_of_fame
from server.services.recognition import (
    MAX_KUDOS_POINTS,
    MAX_MESSAGE,
    MAX_PAGE,
    give_kudos,
    kudos_wanted,
    shown,
)

Message = Annotated[
    str, Meta(min_length=1, max_length=MAX_MESSAGE, pattern=r"\S", description="Why, in the manager's words.")
]
Cursor = Annotated[str, Meta(pattern=r"^[0-9]{1,20}-[0-9]{1,20}$", description="``next`` of the previous page.")]


async def create_kudos(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "give kudos (managers and admins)")
    body = await decode_body(request, KudosInput, "kudos")
    arena = arena_of(request)
    moment = await give_kudos(arena, principal, body.rep, body.team, body.message, body.reward_points)
    return ArenaJSONResponse(shown(moment, (await arena.registry.current()).directory), status_code=201)


async def list_kudos(request: Request) -> ArenaJSONResponse:
    """Recognition is public: everyone signed in (and read keys) sees every kudos."""
    await require(request, lambda p: p.role in ("admin", "manager", "read", "rep"), "read kudos")
    query = decode_query(request, KudosQuery)
    if query.before is not None and not stream_id(query.before):
        raise ApiError(
            422, "before: not a cursor this feed gave", [{"field": "before", "message": "an earlier page's next"}]
        )
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    moments, following = await arena.recognition.page(query.before, query.limit, kudos_wanted(query.rep, query.team))
    return ArenaJSONResponse({"kudos": [shown(m, directory) for m in moments], "next": following})


STREAM_ID_MAX = 2**64 - 1  # each half of a Redis stream id is an unsigned 64-bit number


def stream_id(cursor: str) -> bool:
    """Whether a cursor of the right shape is a stream id Redis takes (20 digits may still be too many)."""
    return all(int(half) <= STREAM_ID_MAX for half in cursor.split("-"))


async def list_awards(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role in ("admin", "manager", "read", "rep"), "read awards")
    query = decode_query(request, AwardQuery)
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    crowns = newest_first(
        [c for c in (await arena.recognition.crowns()).values() if query.contest in (None, c.get("contest"))]
    )
    return ArenaJSONResponse({"awards": [shown(c, directory) for c in crowns[:MAX_PAGE]]})


async def fame_wall(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_read_board(FAME_WALL), "read the hall of fame")
    return ArenaJSONResponse(await hall_of_fame(arena_of(request), public=principal.role == "display"))


class KudosInput(Struct, forbid_unknown_fields=True):
    message: Message
    rep: Annotated[Text64, Meta(description="The rep thanked (or give team).")] | None = None
    team: Annotated[Text64, Meta(description="The team thanked (or give rep).")] | None = None
    reward_points: Annotated[
        int,
        Meta(
            ge=0,
            le=MAX_KUDOS_POINTS,
            description="Reward points credited to the rep (a team: to each active member), once per kudos.",
        ),
    ] = 0


class Kudos(Struct, omit_defaults=True):
    id: str
    kind: Literal["kudos"]
    message: str
    by: str
    at: str
    cursor: str
    rep: str | None = None
    team: str | None = None
    rep_name: str | None = None
    rep_team: str | None = None
    team_name: str | None = None
    reward_points: int | None = None


class KudosPage(Struct):
    kudos: list[Kudos]
    next: Annotated[str | None, Meta(description="The cursor of the next (older) page; null at the end.")]


class KudosQuery(Struct):
    rep: Annotated[str, Meta(max_length=64, description="Kudos to this rep.")] | None = None
    team: Annotated[str, Meta(max_length=64, description="Kudos to this team.")] | None = None
    limit: Annotated[int, Meta(ge=1, le=MAX_PAGE)] = 20
    before: Cursor | None = None


class Award(Struct, omit_defaults=True):
    id: str
    kind: Literal["award"]
    award: Literal["best_seller", "best_team"]
    contest: str
    contest_name: str
    at: str
    winner: str | None = None
    title: str | None = None
    rep: str | None = None
    team: str | None = None
    previous: str | None = None
    corrected: bool = False
    version: int | None = None
    rep_name: str | None = None
    rep_team: str | None = None
    team_name: str | None = None


class AwardList(Struct):
    awards: list[Award]


class AwardQuery(Struct):
    contest: Annotated[str, Meta(max_length=64, description="Only this contest's awards.")] | None = None


class FameEntry(Struct, omit_defaults=True):
    name: str
    award: str | None = None
    title: str | None = None
    default_title: dict[str, str] | None = None
    contest_name: str | None = None
    at: str | None = None
    month: str | None = None
    amount: str | None = None
    days: int | None = None
    last: str | None = None


class HallOfFame(Struct):
    champions: list[FameEntry]
    records: list[FameEntry]
    streaks: list[FameEntry]


BOTH = {"rep": "r", "team": "t", "message": "好"}
routes = [
    ApiRoute(
        "/kudos",
        create_kudos,
        "POST",
        Operation(
            "Give kudos (赞) to a rep or a team you manage, with a message: on the TV, the phone and in the chats",
            "recognition",
            "manage",
            body=KudosInput,
            response=Kudos,
            status=201,
            answers=(
                Answer(422, "no message", "message", body={"rep": "r"}),
                Answer(422, "a message over 280 characters", "message", body={"rep": "r", "message": "赞" * 281}),
                Answer(422, "both a rep and a team", "rep", body=BOTH, cross_field=True),
                Answer(
                    422,
                    "over 1,000 reward points",
                    "reward_points",
                    body={"rep": "r", "message": "好", "reward_points": MAX_KUDOS_POINTS + 1},
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/kudos",
        list_kudos,
        "GET",
        Operation(
            "Kudos, newest first, by page (``next``); to one rep or team",
            "recognition",
            "read",
            response=KudosPage,
            query=KudosQuery,
            answers=(
                Answer(422, "a limit over 100", "limit", query={"limit": "1000"}),
                Answer(422, "a cursor that is not one", "before", query={"before": "yesterday"}),
            ),
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/awards",
        list_awards,
        "GET",
        Operation(
            "Awards crowned from contests' results (best seller, best team), newest first",
            "recognition",
            "read",
            response=AwardList,
            query=AwardQuery,
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/wall/fame",
        fame_wall,
        "GET",
        Operation(
            "The hall of fame (销售明星榜): past champions, record deals, longest streaks",
            "recognition",
            "read",
            response=HallOfFame,
            access=READERS_NOT_DISPLAY,
        ),
    ),
]
