"""``POST /api/v1/events``: one event or a batch, JSON or msgpack, through the ingest service."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.http import ApiError, arena_of, read_document, require
from server.services.ingest import MAX_BATCH, ingest


async def post_events(request: Request) -> JSONResponse:
    await require(request, lambda p: p.can_ingest, "post events", cache=True)
    body = await read_document(request)
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise ApiError(422, "empty batch: send one event or a non-empty array")
    if len(batch) > MAX_BATCH:
        raise ApiError(413, f"batch too large: at most {MAX_BATCH} events per request")
    answer = await ingest(arena_of(request), batch)
    if not answer["accepted"] and not answer["duplicates"]:
        first = answer["rejected"][0]
        return JSONResponse({"error": first["error"], **answer}, status_code=422)
    return JSONResponse(answer)


routes = [Route("/events", post_events, methods=["POST"])]
