"""The contest page's versions and rules change: each version with who, when, why and what changed in words
from the one before, two chosen versions compared, and what the change form starts from."""

from __future__ import annotations

from typing import Any

from server.i18n.version_diff import rules_diff
from server.services.contest_versions import versions_of

# The event types the rules change form offers (a rule on another type keeps its own).
EVENT_TYPES = (
    "deal.won",
    "call.logged",
    "meeting.held",
    "visit.logged",
    "customer.new",
    "csat.recorded",
    "deal.created",  # opportunities, which the conversion rate counts (game/kpis.py)
    "deal.lost",
)


def definitions_by_version(document: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Every whole definition the document still keeps (the last 50 replaced ones and the one in force)."""
    kept = {int(old.get("version", 0)): old["definition"] for old in document.get("history") or []}
    kept[int(document.get("version", 1))] = document["definition"]
    return kept


def versions_view(
    document: dict[str, Any], locale: str, currency: str, timezone: str, compare: tuple[str | None, str | None]
) -> dict[str, Any]:
    """Versions newest first, each with its difference in words to the one before where both are kept, and the
    comparison of two versions asked for by number (``?from=&to=``)."""
    kept = definitions_by_version(document)
    rows = []
    for version in reversed(versions_of(document)):
        number = int(version["version"])
        older, newer = kept.get(number - 1), kept.get(number)
        diff = rules_diff(older, newer, locale, currency, timezone) if older and newer else None
        rows.append({**version, "diff": diff})
    chosen = None
    first, second = (int(v) if v and v.isdigit() else None for v in compare)
    if first in kept and second in kept and first != second:
        low, high = sorted((first, second))
        chosen = {"from": low, "to": high, "diff": rules_diff(kept[low], kept[high], locale, currency, timezone)}
    return {"rows": rows, "numbers": sorted(kept, reverse=True), "compare": chosen}
