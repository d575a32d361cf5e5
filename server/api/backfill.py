"""Historical deals from a CSV upload (the console's "backfill" and any script): ``POST /api/v1/events/import``.

The same parsing as ``scripts/backfill_csv.py`` (``server/integrations/csv_import.py``) and the same
idempotent ingest path as ``POST /api/v1/events``: a file uploaded twice, or once here and once with
the script, counts every deal once. ``?dry_run=1`` checks every row and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request

from server.api.contract import CSV_MEDIA, Answer, ApiRoute, Operation
from server.auth.access import INGEST_OR_MANAGER
from server.http import MAX_CSV_UPLOAD_BYTES, ApiError, ArenaJSONResponse, arena_of, read_csv_upload, require
from server.integrations.csv_import import Row, parse_csv
from server.services.ingest import ingest

MAX_UPLOAD_BYTES = MAX_CSV_UPLOAD_BYTES
BATCH = 500


async def import_events(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role in ("admin", "manager", "ingest"), "import deals")
    arena = arena_of(request)
    text = await read_csv_upload(request, MAX_UPLOAD_BYTES)
    settings = arena.settings
    parsed = parse_csv(text, timezone=settings.timezone, default_currency=settings.currency, now=datetime.now(UTC))
    errors = [e.as_dict() for e in parsed.errors]
    if not parsed.rows and not errors:
        raise ApiError(422, "no rows: the first row names the columns (id, rep, amount, occurred_at, …)")
    directory = (await arena.registry.current()).directory
    rows: list[Row] = []
    for row in parsed.rows:  # a manager's file may hold other teams' reps' deals: those rows are refused
        if principal.may_record_deals_for(row.event.get("rep", ""), directory):
            rows.append(row)
        else:
            errors.append(_not_yours(row))
    errors.sort(key=lambda e: e["line"])
    if request.query_params.get("dry_run") in ("1", "true"):
        preview = [{"line": row.line, **row.event} for row in rows[:50]]
        return ArenaJSONResponse(
            {
                "valid": len(rows),
                "invalid": len({e["line"] for e in errors}),
                "errors": errors[:500],
                "preview": preview,
            }
        )
    accepted = duplicates = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        answer = await ingest(arena, [row.event for row in batch])
        accepted += answer["accepted"]
        duplicates += answer["duplicates"]
        for item in answer["rejected"]:
            line = batch[item["index"]].line
            errors += [{"line": line, **e} for e in item.get("errors", [{"field": "", "message": item["error"]}])]
    return ArenaJSONResponse(
        {
            "accepted": accepted,
            "duplicates": duplicates,
            "errors": errors[:500],
            "invalid": len({e["line"] for e in errors}),
        }
    )


def _not_yours(row: Row) -> dict[str, Any]:
    return {"line": row.line, "field": "rep", "message": f"{row.event.get('rep')!r} is not a rep of your teams"}


class ImportQuery(Struct):
    dry_run: Annotated[str, Meta(description="1: check every row and write nothing.")] | None = None


routes = [
    ApiRoute(
        "/events/import",
        import_events,
        "POST",
        Operation(
            "Historical deals from a CSV file (id, rep, amount, occurred_at, …), idempotent by id",
            "events",
            "ingest",
            body=str,
            body_media=CSV_MEDIA,
            response=dict[str, Any],
            query=ImportQuery,
            answers=(
                Answer(422, "the csv field is not a string", "csv", body={"csv": None}),
                Answer(422, "no rows", body="id,rep,amount,occurred_at\n", media="text/csv", query={"dry_run": "1"}),
            ),
            access=INGEST_OR_MANAGER,
        ),
    ),
]
