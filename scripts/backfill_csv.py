"""Import historical deals from a CSV file through ``POST /api/v1/events``, with progress.

    python -m scripts.backfill_csv --url http://127.0.0.1:8000 --key <ingest key> deals.csv

Idempotent: event ids come from the file's ``id`` column, so running it again reports every row as a
duplicate and changes nothing. Rows the file itself gets wrong are listed with their line and column
and skipped; rows the server refuses (an unknown rep…) are listed the same way. The exit status is 0
only when every row was accepted or was already there. Columns: see docs/integrations/csv.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from server.http import decode_csv
from server.integrations.csv_import import Row, RowError, parse_csv

ATTEMPTS = 4


def post_batch(client: httpx.Client, events: list[dict[str, Any]]) -> dict[str, Any]:
    """One batch, retried on network errors and 5xx (safe: the ids make a retry a duplicate)."""
    for attempt in range(ATTEMPTS):
        try:
            response = client.post("/api/v1/events", json=events)
        except httpx.HTTPError as exc:
            problem = str(exc)
        else:
            if response.status_code in (200, 422):
                return response.json()
            if response.status_code < 500:
                raise SystemExit(f"the server refused the batch: HTTP {response.status_code} {response.text[:300]}")
            problem = f"HTTP {response.status_code}"
        print(f"  retrying after {problem}", file=sys.stderr)
        time.sleep(min(8.0, 0.5 * 2**attempt))
    raise SystemExit(f"giving up after {ATTEMPTS} attempts: {problem}")


def backfill(client: httpx.Client, rows: list[Row], batch_size: int) -> tuple[dict[str, int], list[RowError]]:
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    refused: list[RowError] = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        answer = post_batch(client, [row.event for row in batch])
        totals["accepted"] += answer.get("accepted", 0)
        totals["duplicates"] += answer.get("duplicates", 0)
        for entry in answer.get("rejected", []):
            totals["rejected"] += 1
            row = batch[entry["index"]]
            for error in entry.get("errors") or [{"field": "", "message": entry.get("error", "refused")}]:
                refused.append(RowError(row.line, error["field"], error["message"]))
        done = start + len(batch)
        print(
            f"[{done:>{len(str(len(rows)))}}/{len(rows)}] accepted {totals['accepted']} · "
            f"duplicates {totals['duplicates']} · rejected {totals['rejected']}",
            file=sys.stderr,
        )
    return totals, refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="CSV file with a header row")
    parser.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="an ingest (or admin) API key")
    parser.add_argument("--timezone", default="Asia/Shanghai", help="zone of bare dates in occurred_at")
    parser.add_argument("--currency", default="CNY", help="currency of amounts without one (the server's)")
    parser.add_argument("--id-prefix", default="", help="prefix for every id, e.g. crm-export-2026:")
    parser.add_argument("--batch", type=int, default=500, help="events per request (at most 1000)")
    parser.add_argument("--dry-run", action="store_true", help="check the file only; send nothing")
    args = parser.parse_args(argv)
    parsed = parse_csv(
        decode_csv(args.file.read_bytes()),
        timezone=args.timezone,
        default_currency=args.currency,
        now=datetime.now(UTC),
        id_prefix=args.id_prefix,
    )
    for error in parsed.errors:
        print(f"{args.file}:{error.line}: {error.field or '(row)'}: {error.message}", file=sys.stderr)
    print(f"{len(parsed.rows)} valid row(s), {len(parsed.errors)} problem(s) in the file", file=sys.stderr)
    if args.dry_run or not parsed.rows:
        return 0 if not parsed.errors else 1
    headers = {"Authorization": f"Bearer {args.key}"}
    with httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=60) as client:
        totals, refused = backfill(client, parsed.rows, max(1, min(args.batch, 1000)))
    for error in refused:
        print(f"{args.file}:{error.line}: {error.field or '(row)'}: {error.message}", file=sys.stderr)
    print(
        f"done: accepted {totals['accepted']}, duplicates {totals['duplicates']}, "
        f"rejected {totals['rejected'] + len(parsed.errors)}"
    )
    return 0 if not refused and not parsed.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
