"""Where every adapter ends: CRM users become reps, then the same idempotent write as ``POST /api/v1/events``.

An event whose CRM user no rep has as an alias is never dropped: it is checked, then held in the
connector's needs-mapping list, and scored as soon as a rep gets the alias (``PUT /api/v1/reps/{id}``
calls ``release_held_events``). Held events keep their ids, so releasing twice cannot count twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.errors import ValidationError
from game.events import parse_event
from server.integrations.connectors import Connector
from server.integrations.deals import Routed
from server.services.ingest import MAX_BATCH, ingest

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations")
MAX_OWNER_LENGTH = 128
PLACEHOLDER_REP = "unmapped"


def owner_map(connector: Connector, reps: Mapping[str, Any]) -> dict[str, str]:
    """CRM user -> rep id for one connector. A generic connector may also name reps by their own id."""
    mapping = {rep.aliases[connector.id]: rep.id for rep in reps.values() if connector.id in rep.aliases}
    if connector.type == "generic":
        mapping = {rep_id: rep_id for rep_id in reps} | mapping
    return mapping


def _check_without_rep(event: dict[str, Any], default_currency: str) -> ValidationError | None:
    try:
        parse_event({**event, "rep": PLACEHOLDER_REP}, now=datetime.now(UTC), default_currency=default_currency)
    except ValidationError as exc:
        return exc
    return None


def dry_run(arena: Arena, routed: Sequence[Routed]) -> dict[str, Any]:
    """What ``deliver`` would refuse among these events, keeping nothing: a signed test delivery."""
    rejected = []
    for index, item in enumerate(routed):
        error = _check_without_rep(item.event, arena.settings.currency)
        if error is not None:
            rejected.append({"index": index, "error": str(error), "errors": [e.as_dict() for e in error.errors]})
    return {"accepted": 0, "duplicates": 0, "held": 0, "rejected": rejected, "dry_run": True, "checked": len(routed)}


async def deliver(arena: Arena, connector: Connector, routed: Sequence[Routed]) -> dict[str, Any]:
    """Score what maps to a rep, hold the rest; ``{"accepted", "duplicates", "held", "rejected"}``."""
    store = arena.integrations
    snapshot = await arena.registry.current()
    owners = owner_map(connector, snapshot.directory.reps)
    ready: list[dict[str, Any]] = []
    ready_index: list[int] = []
    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(routed):
        rep = next((owners[o] for o in item.owners if o in owners), None)
        if rep is not None:
            ready.append({**item.event, "rep": rep})
            ready_index.append(index)
            continue
        owner = item.owners[0]
        error = _check_without_rep(item.event, arena.settings.currency)
        if len(owner) > MAX_OWNER_LENGTH:
            rejected.append({"index": index, "error": f"CRM user id longer than {MAX_OWNER_LENGTH} characters"})
        elif error is not None:
            rejected.append({"index": index, "error": str(error), "errors": [e.as_dict() for e in error.errors]})
        else:
            waiting[owner].append(item.event)
    answer: dict[str, Any] = {"accepted": 0, "duplicates": 0, "held": 0, "rejected": rejected}
    for start in range(0, len(ready), MAX_BATCH):
        result = await ingest(arena, ready[start : start + MAX_BATCH], source=connector.source)
        answer["accepted"] += result["accepted"]
        answer["duplicates"] += result["duplicates"]
        for entry in result["rejected"]:
            rejected.append({**entry, "index": ready_index[start + entry["index"]]})
    for owner, events in waiting.items():
        await store.hold(connector.id, owner, events)
        answer["held"] += len(events)
        log.info("connector %s: %d event(s) held for unmapped CRM user %r", connector.id, len(events), owner)
    latest = await arena.registry.current() if waiting else snapshot
    if latest.version != snapshot.version:
        # A rep may have been given one of these aliases while we held: release now rather than wait.
        fresh = owner_map(connector, latest.directory.reps)
        for owner in waiting:
            if owner in fresh:
                await release_owner(arena, connector, owner, fresh[owner])
    for entry in rejected:
        log.warning("connector %s: event refused: %s", connector.id, entry["error"])
    rejected.sort(key=lambda entry: entry["index"])
    return answer


async def release_owner(arena: Arena, connector: Connector, owner: str, rep_id: str) -> dict[str, int]:
    """Score the events held for one CRM user, now that it maps to ``rep_id``."""
    store = arena.integrations
    events = await store.held(connector.id, owner)
    counts = {"accepted": 0, "duplicates": 0, "rejected": 0}
    for start in range(0, len(events), MAX_BATCH):
        batch = events[start : start + MAX_BATCH]
        result = await ingest(arena, [{**e, "rep": rep_id} for e in batch], source=connector.source)
        counts["accepted"] += result["accepted"]
        counts["duplicates"] += result["duplicates"]
        counts["rejected"] += len(result["rejected"])
        for entry in result["rejected"]:
            log.warning(
                "connector %s: held event %s refused on release: %s",
                connector.id,
                batch[entry["index"]]["id"],
                entry["error"],
            )
        await store.release(connector.id, owner, [e["id"] for e in batch])
    if events:
        log.info("connector %s: released %d held event(s) of %r to rep %s", connector.id, len(events), owner, rep_id)
    return counts


async def release_held_events(arena: Arena, rep_id: str, aliases: Mapping[str, str]) -> None:
    """Hook of ``PUT /api/v1/reps/{id}``: score what waited for this rep's CRM aliases.

    Never fails the rep update: a problem here is logged and the events stay held for the next try.
    """
    try:
        store = arena.integrations
        for connector in await store.connectors():
            candidates = [aliases[connector.id]] if connector.id in aliases else []
            if connector.type == "generic":
                candidates.append(rep_id)
            for owner in candidates:
                await release_owner(arena, connector, owner, rep_id)
    except Exception:
        log.exception("releasing held events for rep %s failed; they stay held", rep_id)
