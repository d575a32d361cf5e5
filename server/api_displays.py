"""TV displays: a name, a playlist of slides and a revocable token (stored only as a digest).

A playlist entry is a board id (``"contest:<id>"``, ``"contest:<id>:teams"``, ``"xp:month"``) or a slide
object ``{"board": "contest:<id>", "kind": "thermometer", "seconds": 20}``. Kinds: ``board`` (the rep
board), ``teams`` (team bars), ``tug`` (tug of war of the two leading teams), ``thermometer`` (the goal
with pacing), ``wins`` (recent wins feed), ``badges`` (badge wall), ``stars`` (销售明星榜, the XP month
board). The stored ``playlist`` keeps only the board ids the token may watch; ``slides`` keeps the rest.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from game import keys
from game.badges.awards import read_awards
from game.errors import Collector, ValidationError
from server.auth import Principal
from server.boards import parse_board
from server.http import ApiError, ArenaJSONResponse, read_document, require, validation_error
from server.security import new_token, token_digest

MAX_PLAYLIST = 20
SLIDE_KINDS = ("board", "teams", "tug", "thermometer", "wins", "badges", "stars")
DEFAULT_SECONDS = 20
MIN_SECONDS, MAX_SECONDS = 5, 600
BADGE_WALL_ITEMS = 24


def _default_kind(board: str) -> str:
    spec = parse_board(board)
    if spec is not None and spec.kind == "xp":
        return "stars"
    return "teams" if board.endswith(":teams") else "board"


def normalize_slide(raw: Any, index: int, errors: Collector) -> dict[str, Any] | None:
    """One playlist entry → ``{"board", "kind", "seconds"}`` (board is None for the badge wall)."""
    where = f"playlist[{index}]"
    if isinstance(raw, str):
        raw = {"board": raw}
    if not isinstance(raw, dict):
        errors.add(where, 'must be a board id or {"board": "contest:<id>", "kind": "board", "seconds": 20}')
        return None
    board = raw.get("board")
    kind = raw.get("kind") or (_default_kind(board) if isinstance(board, str) else "")
    seconds = raw.get("seconds", DEFAULT_SECONDS)
    if kind not in SLIDE_KINDS:
        errors.add(f"{where}.kind", f"must be one of {', '.join(SLIDE_KINDS)}")
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        errors.add(f"{where}.seconds", f"a whole number of seconds from {MIN_SECONDS} to {MAX_SECONDS}")
        return None
    if kind == "stars":
        board = board or "xp:month"
    if kind == "badges":
        return {"board": None, "kind": kind, "seconds": seconds}
    spec = parse_board(board) if isinstance(board, str) else None
    expected = {
        "stars": ("xp", None),
        "teams": ("contest", "teams"),
        "tug": ("contest", "teams"),
        "board": ("contest", None),
        "thermometer": ("contest", "reps"),
        "wins": ("contest", "reps"),
    }[kind]
    ok = spec is not None and spec.kind == expected[0] and (expected[1] is None or spec.which == expected[1])
    if kind == "board" and ok and spec is not None and spec.which == "teams":
        ok = False
    if not ok:
        shapes = {
            "stars": "xp:<day|week|month|quarter|all>",
            "teams": "contest:<id>:teams",
            "tug": "contest:<id>:teams",
            "board": "contest:<id> or contest:<id>:div:<name>",
        }
        errors.add(f"{where}.board", f"a {kind} slide shows {shapes.get(kind, 'contest:<id>')}")
        return None
    return {"board": board, "kind": kind, "seconds": seconds}


def _validate(body: Any, partial: bool = False) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "a display must be a JSON object")
    errors = Collector()
    out: dict[str, Any] = {}
    if not partial or "name" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            errors.add("name", "is required: at most 80 characters")
        else:
            out["name"] = name.strip()
    if not partial or "playlist" in body:
        playlist = body.get("playlist")
        if not isinstance(playlist, list) or not playlist or len(playlist) > MAX_PLAYLIST:
            errors.add("playlist", f"is required: 1 to {MAX_PLAYLIST} slides such as contest:<id>")
            playlist = []
        slides = [normalize_slide(raw, index, errors) for index, raw in enumerate(playlist)]
        out["slides"] = [s for s in slides if s is not None]
    if "locale" in body:
        if body["locale"] not in (None, "", "zh-CN", "en"):
            errors.add("locale", 'must be "zh-CN", "en" or null (the browser\'s language)')
        out["locale"] = body["locale"] or None
    if "sound" in body:
        if not isinstance(body["sound"], bool):
            errors.add("sound", "must be true or false")
        out["sound"] = body["sound"]
    if "big_deal" in body:
        value = body["big_deal"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.add("big_deal", "the amount from which a deal gets the big celebration (whole number) or null")
        out["big_deal"] = value
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid display") from None
    return out


def boards_of(slides: list[dict[str, Any]]) -> list[str]:
    """The boards a display's token may watch: each slide's board (a wins feed rides on its contest)."""
    boards: list[str] = []
    for slide in slides:
        if slide["board"] and slide["board"] not in boards:
            boards.append(slide["board"])
    return boards


def public_view(document: dict[str, Any], base_url: str, token: str | None = None) -> dict[str, Any]:
    view = {
        "id": document["id"],
        "name": document["name"],
        "playlist": document.get("playlist", []),
        "slides": slides_of(document),
        "locale": document.get("locale"),
        "sound": bool(document.get("sound", False)),
        "big_deal": document.get("big_deal"),
        "created_by": document.get("created_by"),
        "created_at": document.get("created_at"),
        "updated_at": document.get("updated_at"),
    }
    if token:
        view.update(token=token, url=f"{base_url}/tv/{token}")
    return view


def slides_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Slides of a stored display; displays made before slides existed have only a list of boards."""
    if document.get("slides"):
        return list(document["slides"])
    return [{"board": b, "kind": _default_kind(b), "seconds": DEFAULT_SECONDS} for b in document.get("playlist", [])]


async def _may_manage(request: Request, principal: Principal, slides: list[dict[str, Any]]) -> None:
    """A manager's displays may show only contests they run (and the workspace-wide star board)."""
    if principal.role == "admin":
        return
    snapshot = await request.app.state.arena.registry.current()
    for slide in slides:
        spec = parse_board(slide["board"]) if slide["board"] else None
        if spec is None or spec.kind == "xp":
            continue
        contest = snapshot.contests.get(spec.contest_id)
        if contest is None or not principal.manages_contest(contest, snapshot.directory):
            raise ApiError(403, f"{slide['board']} is not a contest of your teams")


async def _load(request: Request) -> dict[str, Any]:
    raw = await request.app.state.arena.redis.hget(keys.DISPLAYS, request.path_params["id"])
    if raw is None:
        raise ApiError(404, f"no display {request.path_params['id']!r}")
    return json.loads(raw)


async def _save(request: Request, document: dict[str, Any], old_digest: str | None = None) -> None:
    redis = request.app.state.arena.redis
    pipe = redis.pipeline(transaction=True)
    pipe.hset(keys.DISPLAYS, document["id"], json.dumps(document, ensure_ascii=False))
    if old_digest and old_digest != document.get("token_digest"):
        pipe.hdel(keys.DISPLAY_TOKENS, old_digest)
    if document.get("token_digest"):
        pipe.hset(keys.DISPLAY_TOKENS, document["token_digest"], document["id"])
    await pipe.execute()


async def create_display(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "create displays")
    fields = _validate(await read_document(request))
    await _may_manage(request, principal, fields["slides"])
    arena = request.app.state.arena
    token = new_token("tv")
    now = datetime.now(UTC).isoformat()
    document = {
        "id": "d_" + secrets.token_hex(6),
        "locale": None,
        "sound": False,
        "big_deal": None,
        **fields,
        "playlist": boards_of(fields["slides"]),
        "token_digest": token_digest(token),
        "created_by": principal.name,
        "created_at": now,
        "updated_at": now,
    }
    await _save(request, document)
    return ArenaJSONResponse(public_view(document, arena.settings.base_url, token), status_code=201)


def _visible(principal: Principal, document: dict[str, Any]) -> bool:
    return principal.role == "admin" or document.get("created_by") == principal.name


async def list_displays(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "list displays")
    arena = request.app.state.arena
    documents = [json.loads(raw) for raw in (await arena.redis.hgetall(keys.DISPLAYS)).values()]
    shown = [public_view(d, arena.settings.base_url) for d in documents if _visible(principal, d)]
    return ArenaJSONResponse({"displays": sorted(shown, key=lambda d: d.get("created_at") or "")})


async def get_display(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    return ArenaJSONResponse(public_view(document, request.app.state.arena.settings.base_url))


async def change_display(request: Request) -> JSONResponse:
    """Rename, new playlist, language, sound: the TV picks the change up by itself (it reloads)."""
    principal = await require(request, lambda p: p.can_manage, "change displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    fields = _validate(await read_document(request), partial=True)
    if "slides" in fields:
        await _may_manage(request, principal, fields["slides"])
        fields["playlist"] = boards_of(fields["slides"])
    document.update(fields, updated_at=datetime.now(UTC).isoformat())
    await _save(request, document)
    return ArenaJSONResponse(public_view(document, request.app.state.arena.settings.base_url))


async def rotate_token(request: Request) -> JSONResponse:
    """A new token (and URL); the old one stops working at once."""
    principal = await require(request, lambda p: p.can_manage, "rotate display tokens")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    old = document.get("token_digest")
    token = new_token("tv")
    document.update(token_digest=token_digest(token), updated_at=datetime.now(UTC).isoformat())
    await _save(request, document, old_digest=old)
    return ArenaJSONResponse(public_view(document, request.app.state.arena.settings.base_url, token))


async def revoke_display(request: Request) -> Response:
    principal = await require(request, lambda p: p.can_manage, "revoke displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    pipe = request.app.state.arena.redis.pipeline(transaction=True)
    pipe.hdel(keys.DISPLAYS, document["id"])
    if document.get("token_digest"):
        pipe.hdel(keys.DISPLAY_TOKENS, document["token_digest"])
    await pipe.execute()
    return Response(status_code=204)


async def badge_wall(request: Request) -> JSONResponse:
    """The latest badges awarded across the workspace (public names for displays), newest first."""
    principal = await require(request, lambda p: p.role != "ingest", "read the badge wall")
    arena = request.app.state.arena
    snapshot = await arena.registry.current()
    reps = [r for r in snapshot.directory.reps.values() if r.active]
    pipe = arena.redis.pipeline(transaction=False)
    for rep in reps:
        pipe.hgetall(keys.badges(rep.id))
    held = await pipe.execute()
    titles = {b.id: {"zh-CN": b.name_zh, "en": b.name_en} for b in snapshot.badges}
    items: list[dict[str, Any]] = []
    for rep, awards in zip(reps, held, strict=True):
        for _, record in read_awards(awards):
            items.append(
                {
                    "rep": rep.id,
                    "name": snapshot.directory.public_name(rep.id) if principal.role == "display" else rep.name,
                    "team": rep.team,
                    "badge": record.get("badge"),
                    "period": record.get("period"),
                    "awarded_at": record.get("awarded_at", ""),
                    "title": titles.get(record.get("badge", "")),
                }
            )
    items.sort(key=lambda item: item["awarded_at"], reverse=True)
    return ArenaJSONResponse({"badges": items[:BADGE_WALL_ITEMS]})


routes = [
    Route("/api/v1/displays", create_display, methods=["POST"]),
    Route("/api/v1/displays", list_displays, methods=["GET"]),
    Route("/api/v1/displays/{id}", get_display, methods=["GET"]),
    Route("/api/v1/displays/{id}", change_display, methods=["PUT"]),
    Route("/api/v1/displays/{id}", revoke_display, methods=["DELETE"]),
    Route("/api/v1/displays/{id}/rotate", rotate_token, methods=["POST"]),
    Route("/api/v1/wall/badges", badge_wall, methods=["GET"]),
]
