"""Historical deals from a CSV file, checked row by row — pure, shared by the backfill script and the console.

Columns (header row, any order, case-insensitive): ``id`` (required, the idempotency key: a rerun of the
same file is all duplicates), ``rep`` (required), ``amount``, ``type`` (default ``deal.won``),
``currency``, ``occurred_at`` (RFC 3339, or a bare date read as midnight in the organisation's zone),
``category``, ``customer``, ``new_customer``, ``ref``. Amounts may carry thousands separators.
Files from Excel are read as UTF-8 (with or without BOM) or, failing that, GB18030.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from game.errors import ValidationError
from game.events import parse_event
from server.integrations.deals import normalise_amount, normalise_time

COLUMNS = ("id", "type", "rep", "amount", "currency", "occurred_at", "category", "customer", "new_customer", "ref")
HEADER_ALIASES = {
    "deal_id": "id",
    "owner": "rep",
    "value": "amount",
    "close_date": "occurred_at",
    "date": "occurred_at",
}
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "新"})
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Row:
    line: int
    event: dict[str, Any]


@dataclass
class CsvImport:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _header(names: list[str]) -> tuple[list[str], list[RowError]]:
    columns = []
    errors = []
    for name in names:
        key = name.strip().lower().replace(" ", "_")
        key = HEADER_ALIASES.get(key, key)
        if key not in COLUMNS:
            errors.append(RowError(1, name, f"unknown column; expected some of {', '.join(COLUMNS)}"))
        columns.append(key)
    for required in ("id", "rep"):
        if required not in columns:
            errors.append(RowError(1, required, "required column is missing"))
    return columns, errors


def row_event(cells: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    """A raw canonical event from one row's non-empty cells (checked afterwards by ``parse_event``)."""
    event: dict[str, Any] = {"type": cells.get("type") or "deal.won"}
    for name in ("id", "rep", "currency", "category", "customer", "ref"):
        if cells.get(name):
            event[name] = cells[name]
    if cells.get("amount"):
        event["amount"] = normalise_amount(cells["amount"])
    if cells.get("occurred_at"):
        event["occurred_at"] = normalise_time(cells["occurred_at"], zone) or cells["occurred_at"]
    if cells.get("new_customer"):
        event["new_customer"] = cells["new_customer"].strip().lower() in TRUE_WORDS
    return event


def parse_csv(text: str, *, timezone: str, default_currency: str, now: datetime, id_prefix: str = "") -> CsvImport:
    """Every row as an event or as errors naming the line and the column; nothing is sent anywhere."""
    zone = ZoneInfo(timezone)
    reader = csv.reader(io.StringIO(text))
    result = CsvImport()
    names = next(reader, None)
    if not names:
        result.errors.append(RowError(1, "", "the file is empty: expected a header row"))
        return result
    columns, header_errors = _header(names)
    if header_errors:
        result.errors.extend(header_errors)
        return result
    first_line: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(result.rows) + len(result.errors) >= MAX_ROWS:
            result.errors.append(RowError(line, "", f"more than {MAX_ROWS} rows: split the file"))
            break
        if len(cells) > len(columns):
            result.errors.append(RowError(line, "", f"{len(cells)} cells for {len(columns)} columns"))
            continue
        event = row_event({c: v.strip() for c, v in zip(columns, cells, strict=False) if v.strip()}, zone)
        if "id" in event:
            event["id"] = id_prefix + event["id"]
        try:
            parse_event(event, now=now, default_currency=default_currency)
        except ValidationError as exc:
            result.errors.extend(RowError(line, e.field, e.message) for e in exc.errors)
            continue
        if event["id"] in first_line:
            result.errors.append(RowError(line, "id", f"repeats the id of line {first_line[event['id']]}"))
            continue
        first_line[event["id"]] = line
        result.rows.append(Row(line, event))
    return result
