"""Who would hold a badge now, judged by the same judges as the badge worker — pure, so a manager sees a new or
changed definition's holders before saving it; and how many reps hold each badge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from game.badges import judge_live_badges
from game.badges.definitions import LIVE_KINDS, BadgeDefinition
from game.badges.facts import Fact, period_of


@dataclass(frozen=True)
class RepFacts:
    """What a rep's live badges are judged on: their standing deals around now and their lifetime deal count."""

    rep: str
    facts: Sequence[Fact]
    lifetime: int


def previewable(definition: BadgeDefinition) -> bool:
    """Live kinds are judged from deals as they land; the closing kinds (champion, record…) only when a period
    or contest closes, so there is nothing to preview before then."""
    return definition.kind in LIVE_KINDS


def holders_now(
    definition: BadgeDefinition, reps: Iterable[RepFacts], now: datetime, zone: ZoneInfo
) -> list[tuple[str, tuple[str, ...]]]:
    """Each rep who would hold ``definition`` for the period around ``now``, with the deals it would rest on."""
    if not previewable(definition):
        return []
    holders = []
    for rep in reps:
        _, earned = judge_live_badges([definition], rep.facts, [now], zone, rep.lifetime)
        for award in earned.values():
            holders.append((rep.rep, award.basis))
    return holders


def period_key(definition: BadgeDefinition, now: datetime, zone: ZoneInfo) -> str:
    """The period the preview judges (``2026-12``, ``2026-W49``, ``ever``…)."""
    return period_of(definition.period, now, zone).key


def holder_counts(held: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, int]:
    """How many reps hold each badge (in any period), from each rep's awards (instance key → record)."""
    counts: dict[str, int] = {}
    for awards in held:
        for badge in {record.get("badge") for record in awards.values()}:
            if isinstance(badge, str):
                counts[badge] = counts.get(badge, 0) + 1
    return counts
