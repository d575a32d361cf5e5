"""Head-to-head challenges between reps: one challenges, the other accepts or declines.

On accept the challenge becomes an ordinary ``head_to_head`` contest, stored through the same code path as
``POST /api/v1/contests`` (``store_new_contest``), so its rules are frozen, audited and ranked like any other.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct
from starlette.requests import Request

from game.directory import Directory
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import CHALLENGER, CHALLENGES, REPS
from server.auth.principals import Principal
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.cap_calendar import freeze_cap_calendar
from server.services.challenge_store import ChallengeChanged
from server.services.contests import store_new_contest

if TYPE_CHECKING:
    from server.arena import Arena

METRICS: dict[str, list[dict[str, Any]]] = {
    "revenue": [{"on": "deal.won", "points_per": 1000}],
    "deals": [{"on": "deal.won", "points": 1}],
    "new_customers": [{"on": "deal.won", "points": 1, "new_customer_only": True}],
    "calls": [{"on": "call.logged", "points": 1, "cap_per_day": 40}],
}
MAX_DAYS = 31
MAX_OPEN_PER_REP = 10
PENDING_HOURS = 72


def _is_rep(principal: Principal) -> bool:
    return principal.role == "rep" and principal.rep_id is not None


def _with_status(challenge: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Pending challenges nobody answered within three days have expired."""
    if challenge["status"] == "pending" and datetime.fromisoformat(challenge["expires_at"]) <= now:
        return {**challenge, "status": "expired"}
    return challenge


def _named(challenge: dict[str, Any], directory: Directory) -> dict[str, Any]:
    names = {
        side: (rep.name if (rep := directory.reps.get(challenge[side])) else challenge[side])
        for side in ("challenger", "opponent")
    }
    return {**challenge, "challenger_name": names["challenger"], "opponent_name": names["opponent"]}


async def create_challenge(request: Request) -> ArenaJSONResponse:
    principal = await require(request, _is_rep, "challenge colleagues (reps only)")
    body = await validated_document(request, ChallengeInput, "challenge")
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    opponent, days, metric = body.get("opponent"), body.get("days", 7), body.get("metric", "revenue")
    errors = []
    rival = directory.reps.get(opponent) if isinstance(opponent, str) else None
    if rival is None or not rival.active or opponent == principal.rep_id:
        errors.append({"field": "opponent", "message": "an active colleague's rep id"})
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors.append({"field": "days", "message": f"1 to {MAX_DAYS} days"})
    if metric not in METRICS:
        errors.append({"field": "metric", "message": f"one of {', '.join(METRICS)}"})
    if errors:
        raise ApiError(422, "invalid challenge", errors)
    now = datetime.now(UTC)
    mine = [
        c
        for c in await arena.challenges.all()
        if principal.rep_id in (c["challenger"], c["opponent"]) and _with_status(c, now)["status"] == "pending"
    ]
    if len(mine) >= MAX_OPEN_PER_REP:
        raise ApiError(429, f"at most {MAX_OPEN_PER_REP} open challenges at a time")
    challenge = {
        "id": secrets.token_hex(5),
        "challenger": principal.rep_id,
        "opponent": opponent,
        "days": days,
        "metric": metric,
        "status": "pending",
        "created_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=PENDING_HOURS)).isoformat(),
        "contest": None,
    }
    await arena.challenges.save(challenge)
    return ArenaJSONResponse(_named(challenge, directory), status_code=201)


async def list_challenges(request: Request) -> ArenaJSONResponse:
    """A rep's own challenges; managers see those of their teams' reps."""
    principal = await require(request, lambda p: _is_rep(p) or p.can_manage, "list challenges")
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    now = datetime.now(UTC)

    def visible(c: dict[str, Any]) -> bool:
        if _is_rep(principal):
            return principal.rep_id in (c["challenger"], c["opponent"])
        sides = [directory.reps.get(c[side]) for side in ("challenger", "opponent")]
        return any(principal.manages_team(rep.team) for rep in sides if rep is not None)

    items = [_named(_with_status(c, now), directory) for c in await arena.challenges.all() if visible(c)]
    items.sort(key=lambda c: c["created_at"], reverse=True)
    return ArenaJSONResponse({"challenges": items[:50]})


async def answer_challenge(request: Request) -> ArenaJSONResponse:
    """``accept`` or ``decline`` (the opponent), ``cancel`` (the challenger), while it is pending."""
    principal = await require(request, _is_rep, "answer challenges (reps only)")
    arena = arena_of(request)
    challenge_id, action = request.path_params["id"], request.path_params["action"]
    if action not in ("accept", "decline", "cancel"):
        raise ApiError(404, f"unknown action {action!r}: accept, decline or cancel")

    def answer(stored: dict[str, Any]) -> dict[str, Any]:
        challenge = _with_status(stored, datetime.now(UTC))
        who = "challenger" if action == "cancel" else "opponent"
        if challenge[who] != principal.rep_id:
            raise ApiError(403, f"only the {who} may {action} this challenge")
        if challenge["status"] != "pending":
            raise ApiError(409, f"this challenge is {challenge['status']}")
        challenge["status"] = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}[action]
        challenge["answered_at"] = datetime.now(UTC).isoformat()
        return challenge

    try:
        challenge = await arena.challenges.change(challenge_id, answer)
    except ChallengeChanged:
        raise ApiError(409, "the challenge changed meanwhile: reload") from None
    if challenge is None:
        raise ApiError(404, f"no challenge {challenge_id!r}")
    directory = (await arena.registry.current()).directory
    if action == "accept":
        challenge["contest"] = await _start_contest(arena, challenge, directory, principal)
        await arena.challenges.save(challenge)
    return ArenaJSONResponse(_named(challenge, directory))


async def _start_contest(arena: Arena, challenge: dict[str, Any], directory: Directory, principal: Principal) -> str:
    zone = arena.settings.zone
    start = datetime.now(zone).replace(microsecond=0)
    end = datetime.combine(start.date() + timedelta(days=challenge["days"]), datetime.min.time(), tzinfo=zone)
    sides = (challenge["challenger"], challenge["opponent"])
    names = [rep.name if (rep := directory.reps.get(side)) else side for side in sides]
    definition = {
        "id": f"h2h-{challenge['id']}",
        "name": f"{names[0]} vs {names[1]}",
        "kind": "head_to_head",
        "sides": [challenge["challenger"], challenge["opponent"]],
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "rules": METRICS[challenge["metric"]],
        "challenge": challenge["id"],
        "metric": challenge["metric"],
    }
    # The server, on the reps' behalf: the definition above is ours, so it needs no manager's scope.
    acting = Principal(role="admin", name=f"{principal.name} (challenge {challenge['id']})")
    await freeze_cap_calendar(arena, definition, None)  # caps per working day, as any new contest
    contest = await store_new_contest(arena, definition, acting)
    return contest.id


class ChallengeInput(Struct):
    opponent: str
    days: int | None = None
    metric: Literal["revenue", "deals", "new_customers", "calls"] | None = None


class Challenge(Struct, omit_defaults=True):
    id: str
    challenger: str
    opponent: str
    days: int
    metric: str
    status: Literal["pending", "accepted", "declined", "cancelled", "expired"]
    created_at: str
    expires_at: str
    challenger_name: str | None = None
    opponent_name: str | None = None
    contest: str | None = None


class ChallengeList(Struct):
    challenges: list[Challenge]


NOT_A_REP = Answer(403, "not a rep's session", body={"opponent": "r2"})
routes = [
    ApiRoute(
        "/challenges",
        create_challenge,
        "POST",
        Operation(
            "Challenge a colleague",
            "challenges",
            "rep",
            body=ChallengeInput,
            response=Challenge,
            status=201,
            answers=(NOT_A_REP,),
            access=REPS,
        ),
    ),
    ApiRoute(
        "/challenges",
        list_challenges,
        "GET",
        Operation(
            "A rep's challenges (managers: their teams')",
            "challenges",
            "rep",
            response=ChallengeList,
            access=CHALLENGES,
        ),
    ),
    ApiRoute(
        "/challenges/{id}/{action}",
        answer_challenge,
        "POST",
        Operation(
            "accept, decline or cancel a challenge",
            "challenges",
            "rep",
            response=Challenge,
            answers=(NOT_A_REP,),
            access=CHALLENGER,
        ),
    ),
]
