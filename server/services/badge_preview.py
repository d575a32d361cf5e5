"""A badge definition judged against the deals that stand now (the preview before saving), and how many reps
hold each badge: the store reads, the pure judging in ``game.badges.preview``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from game.badges.definitions import BadgeDefinition
from game.badges.facts import months_needed
from game.badges.preview import RepFacts, holder_counts, holders_now

if TYPE_CHECKING:
    from server.arena import Arena

BATCH = 200  # reps read per round trip


async def preview_holders(arena: Arena, definition: BadgeDefinition, now: datetime) -> list[tuple[str, int]]:
    """Every active rep who would hold ``definition`` now, with how many deals it would rest on."""
    zone = arena.settings.zone
    directory = (await arena.registry.current()).directory
    reps = sorted(rep.id for rep in directory.reps.values() if rep.active)
    months = months_needed(now, zone)
    found: list[tuple[str, int]] = []
    for start in range(0, len(reps), BATCH):
        standings = await arena.store.read_badge_standings([(rep, months) for rep in reps[start : start + BATCH]])
        facts = (RepFacts(s.rep, s.facts, s.lifetime) for s in standings)
        found += [(rep, len(basis)) for rep, basis in holders_now(definition, facts, now, zone)]
    return found


async def holders_per_badge(arena: Arena) -> dict[str, int]:
    """How many reps hold each badge (any period)."""
    reps = sorted((await arena.registry.current()).directory.reps)
    counts: dict[str, int] = {}
    for start in range(0, len(reps), BATCH):
        for badge, count in holder_counts(await arena.progress.badges_of(reps[start : start + BATCH])).items():
            counts[badge] = counts.get(badge, 0) + count
    return counts
