"""Board diffs: what changed between two reads of a board, and merging recorded spans — pure.

A row is a small dict (``rank``, ``id``, ``score`` and for reps ``team``); a diff carries the rows that
are new or different plus the ids that left the board, so a client can always find a row by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Span:
    """The diff from sequence number ``start`` to ``end`` of one board."""

    start: int
    end: int
    rows: list[Row] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        return {"f": self.start, "t": self.end, "rows": self.rows, "removed": self.removed}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Span:
        return cls(int(record["f"]), int(record["t"]), list(record["rows"]), list(record["removed"]))


def diff_rows(old: Sequence[Row], new: Sequence[Row]) -> tuple[list[Row], list[str]]:
    """Rows of ``new`` that are not in ``old`` as they are, and ids of ``old`` missing from ``new``."""
    before = {row["id"]: row for row in old}
    after_ids = {row["id"] for row in new}
    changed = [row for row in new if before.get(row["id"]) != row]
    removed = [row_id for row_id in before if row_id not in after_ids]
    return changed, removed


def chain(spans: Sequence[Span], start: int, end: int) -> Span | None:
    """Merge recorded spans into one diff from ``start`` to ``end``; None when there is a gap.

    Several processes record spans of their own ticks, so spans may overlap; any path of spans from
    ``start`` to ``end`` will do (the longest step is taken first).
    """
    by_start: dict[int, list[Span]] = {}
    for span in spans:
        by_start.setdefault(span.start, []).append(span)
    rows: dict[str, Row] = {}
    removed: set[str] = set()
    position = start
    while position < end:
        options = [s for s in by_start.get(position, []) if s.end <= end]
        if not options:
            return None
        step = max(options, key=lambda s: s.end)
        for row in step.rows:
            rows[row["id"]] = row
            removed.discard(row["id"])
        for row_id in step.removed:
            rows.pop(row_id, None)
            removed.add(row_id)
        position = step.end
    ordered = sorted(rows.values(), key=lambda r: (r["rank"], r["id"]))
    return Span(start, end, ordered, sorted(removed))
