"""Ingestion: ``POST /api/v1/events`` with one event or a batch, JSON or msgpack.

Each valid event is accepted even when its neighbours are rejected. The answer is given only after the
write scripts returned, so "accepted" means durable in Redis (subject to its fsync policy), and a
client that retries with the same ids can never double count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from game.errors import ValidationError
from game.events import Event, parse_event
from game.scoring import ContestChange, decide
from server.http import ApiError, read_document, require

MAX_BATCH = 1000


async def ingest(
    arena: Any, raw_events: list[Any], *, source: str = "api", now: datetime | None = None
) -> dict[str, Any]:
    """Validate, score and write a batch; the shared path of every source (API, webhooks, CSV)."""
    now = now or datetime.now(UTC)
    snapshot = await arena.registry.current()
    contests = arena.registry.live_contests(snapshot, now)
    rejected: list[dict[str, Any]] = []
    planned: list[tuple[Event, list[ContestChange]]] = []
    for index, raw in enumerate(raw_events):
        try:
            event = parse_event(raw, now=now, default_currency=arena.settings.currency, source=source)
        except ValidationError as exc:
            rejected.append({"index": index, "error": str(exc), "errors": [e.as_dict() for e in exc.errors]})
            continue
        if event.rep not in snapshot.directory.reps:
            rejected.append(
                {
                    "index": index,
                    "error": f"rep: unknown rep {event.rep!r}",
                    "errors": [{"field": "rep", "message": "unknown rep: create it with PUT /api/v1/reps/{id}"}],
                }
            )
            continue
        planned.append((event, decide(event, contests, snapshot.directory)))
    results = await arena.store.write_events(planned)
    accepted = sum(1 for r in results if r.new)
    warnings = [
        {"id": event.id, "error": error}
        for (event, _), result in zip(planned, results, strict=True)
        for error in result.errors
    ]
    answer: dict[str, Any] = {"accepted": accepted, "duplicates": len(results) - accepted, "rejected": rejected}
    if warnings:
        answer["warnings"] = warnings
    return answer


async def post_events(request: Request) -> JSONResponse:
    await require(request, lambda p: p.can_ingest, "post events")
    body = await read_document(request)
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise ApiError(422, "empty batch: send one event or a non-empty array")
    if len(batch) > MAX_BATCH:
        raise ApiError(413, f"batch too large: at most {MAX_BATCH} events per request")
    answer = await ingest(request.app.state.arena, batch)
    if not answer["accepted"] and not answer["duplicates"]:
        first = answer["rejected"][0]
        return JSONResponse({"error": first["error"], **answer}, status_code=422)
    return JSONResponse(answer)


routes = [Route("/api/v1/events", post_events, methods=["POST"])]
