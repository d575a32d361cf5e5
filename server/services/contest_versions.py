"""A contest's versions: who made each, when, why, and the field-level difference to the one before.

Every contest document carries ``versions`` (the latest ``MAX_VERSIONS``); a document stored before versions
were kept gets one entry per version it remembers, with what its history can still tell.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from game.contests import definition_changes

MAX_VERSIONS = 200


def version_entry(
    version: int, by: str, reason: str | None, changes: list[dict[str, Any]], at: str | None = None
) -> dict[str, Any]:
    return {
        "version": version,
        "at": at or datetime.now(UTC).isoformat(),
        "by": by,
        "reason": reason,
        "changes": changes,
    }


def add_version(document: dict[str, Any], entry: dict[str, Any]) -> None:
    """Append ``entry`` to the document's versions (keeping what an older document remembers first)."""
    document["versions"] = [*versions_of(document), entry][-MAX_VERSIONS:]


def versions_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version the document remembers, oldest first."""
    if "versions" in document:
        return list(document["versions"])
    remembered: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    history = document.get("history") or []
    for index, old in enumerate(history):
        replaced = history[index - 1] if index else None
        remembered.append(
            {
                "version": int(old.get("version", index + 1)),
                "at": replaced.get("replaced_at") if replaced else None,
                "by": replaced.get("by", "") if replaced else "",
                "reason": None,
                "changes": definition_changes(previous, old["definition"]) if previous is not None else [],
            }
        )
        previous = old["definition"]
    last = history[-1] if history else None
    remembered.append(
        {
            "version": int(document.get("version", 1)),
            "at": last.get("replaced_at") if last else None,
            "by": last.get("by", "") if last else "",
            "reason": None,
            "changes": definition_changes(previous, document["definition"]) if previous is not None else [],
        }
    )
    return remembered
