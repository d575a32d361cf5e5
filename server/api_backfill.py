"""Historical deals from a CSV upload (the console's "backfill" and any script): ``POST /api/v1/events/import``.

The same parsing as ``scripts/backfill_csv.py`` (``server/integrations/csv_import.py``) and the same
idempotent ingest path as ``POST /api/v1/events``: a file uploaded twice, or once here and once with
the script, counts every deal once. ``?dry_run=1`` checks every row and writes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.routing import Route

from server.api_events import ingest
from server.http import ApiError, ArenaJSONResponse, read_body, require
from server.integrations.csv_import import decode_csv, parse_csv

MAX_UPLOAD_BYTES = 8 << 20
BATCH = 500


async def import_events(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role in ("admin", "manager", "ingest"), "import deals")
    arena = request.app.state.arena
    raw = await read_body(request, MAX_UPLOAD_BYTES)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = str(json.loads(raw).get("csv", ""))
        except (ValueError, AttributeError):
            raise ApiError(400, 'send text/csv, or JSON {"csv": "..."}') from None
    else:
        text = decode_csv(raw)
    settings = arena.settings
    parsed = parse_csv(text, timezone=settings.timezone, default_currency=settings.currency, now=datetime.now(UTC))
    errors = [e.as_dict() for e in parsed.errors]
    if not parsed.rows and not errors:
        raise ApiError(422, "no rows: the first row names the columns (id, rep, amount, occurred_at, …)")
    if request.query_params.get("dry_run") in ("1", "true"):
        preview = [{"line": row.line, **row.event} for row in parsed.rows[:50]]
        return ArenaJSONResponse(
            {
                "valid": len(parsed.rows),
                "invalid": len({e["line"] for e in errors}),
                "errors": errors[:500],
                "preview": preview,
            }
        )
    accepted = duplicates = 0
    for start in range(0, len(parsed.rows), BATCH):
        rows = parsed.rows[start : start + BATCH]
        answer = await ingest(arena, [row.event for row in rows])
        accepted += answer["accepted"]
        duplicates += answer["duplicates"]
        for item in answer["rejected"]:
            line = rows[item["index"]].line
            errors += [{"line": line, **e} for e in item.get("errors", [{"field": "", "message": item["error"]}])]
    return ArenaJSONResponse(
        {
            "accepted": accepted,
            "duplicates": duplicates,
            "errors": errors[:500],
            "invalid": len({e["line"] for e in errors}),
        }
    )


routes = [Route("/api/v1/events/import", import_events, methods=["POST"])]
