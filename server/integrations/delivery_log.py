"""What the console shows of each webhook delivery: its outcome in a few words, never its content — pure.

A CRM retries what we refuse, so the outcome says which kind of refusal it was (``signature``, ``malformed``…)
and, for events the pipeline refused, which event (counted from 1) and which fields, so a page can explain
it in the reader's language.
"""

from __future__ import annotations

from typing import Any

MAX_REASONS = 5
REFUSALS = {400: "malformed", 401: "signature", 403: "forbidden", 413: "too_large", 503: "unavailable"}


def _outcome(answer: dict[str, Any]) -> str:
    if answer.get("dry_run"):
        return "test"
    if answer.get("accepted"):
        return "accepted"
    if answer.get("held"):
        return "held"
    if answer.get("duplicates"):
        return "duplicate"
    return "rejected" if answer.get("rejected") else "ignored"


def summarise(at: str, status: int, answer: Any = None, error: str | None = None) -> dict[str, Any]:
    """One delivery: ``outcome`` is accepted, held (CRM user not mapped yet), duplicate, ignored (nothing
    to score, such as a deal not won), test (a dry run), or rejected with a ``reason``."""
    if error is not None or status >= 400:
        return {
            "at": at,
            "status": status,
            "outcome": "rejected",
            "reason": REFUSALS.get(status, "error"),
            "error": (error or "")[:300],
        }
    if not isinstance(answer, dict):
        return {"at": at, "status": status, "outcome": "accepted"}
    refused = answer.get("rejected") or []
    counts = {name: int(answer.get(name) or 0) for name in ("accepted", "duplicates", "held")}
    summary: dict[str, Any] = {
        "at": at,
        "status": status,
        "outcome": _outcome(answer),
        **counts,
        "rejected": len(refused),
    }
    if refused:
        summary["reason"] = "event"
        summary["events"] = [
            {
                "number": int(entry.get("index", 0)) + 1,
                "fields": sorted({e.get("field", "") for e in entry.get("errors") or [] if e.get("field")}),
            }
            for entry in refused[:MAX_REASONS]
        ]
    return summary
