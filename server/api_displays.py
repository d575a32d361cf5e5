"""TV displays: a name, a playlist of boards and a revocable token (stored only as a digest)."""

from __future__ import annotations

import json
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from game import keys
from game.errors import Collector, ValidationError
from server.boards import parse_board
from server.http import ApiError, read_document, require, validation_error
from server.security import new_token, token_digest

MAX_PLAYLIST = 20


async def create_display(request: Request) -> JSONResponse:
    await require(request, lambda p: p.can_manage, "create displays")
    body = await read_document(request)
    errors = Collector()
    if not isinstance(body, dict):
        raise ApiError(422, "a display must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        errors.add("name", "is required: at most 80 characters")
    playlist = body.get("playlist")
    if not isinstance(playlist, list) or not playlist or len(playlist) > MAX_PLAYLIST:
        errors.add("playlist", f"is required: 1 to {MAX_PLAYLIST} board ids such as contest:<id>")
        playlist = []
    for index, board in enumerate(playlist):
        if not isinstance(board, str) or parse_board(board) is None:
            errors.add(f"playlist[{index}]", "must be contest:<id> or contest:<id>:teams")
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid display") from None
    arena = request.app.state.arena
    display_id = "d_" + secrets.token_hex(6)
    token = new_token("tv")
    document = {"id": display_id, "name": name.strip(), "playlist": playlist, "token_digest": token_digest(token)}
    pipe = arena.redis.pipeline(transaction=True)
    pipe.hset(keys.DISPLAYS, display_id, json.dumps(document, ensure_ascii=False))
    pipe.hset(keys.DISPLAY_TOKENS, token_digest(token), display_id)
    await pipe.execute()
    return JSONResponse(
        {
            "id": display_id,
            "name": document["name"],
            "playlist": playlist,
            "token": token,
            "url": f"{arena.settings.base_url}/tv/{token}",
        },
        status_code=201,
    )


routes = [Route("/api/v1/displays", create_display, methods=["POST"])]
