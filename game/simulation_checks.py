"""What a manager needs besides the simulated boards: why a simulation came out empty, and the drafts' scores
as one histogram to compare.

An empty simulation has one of a few causes, checked in the order a manager would fix them: no event was logged
in the period, no active rep is in the draft's scope, the participants logged nothing in the period, none of
their events is of a type a rule scores, or the events match but the rules' conditions give no points. Each cause
comes as a code with the numbers behind it; the page words it in the reader's language with what to do.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from game.contests import Contest
from game.directory import Directory
from game.log_event import LogEvent

TYPES_SHOWN = 5
HISTOGRAM_BINS = 8
DEAL_TYPES = frozenset({"deal.won", "deal.updated"})


def scored_types(contest: Contest) -> set[str]:
    """Event types the draft's rules score (an update of a won deal counts where a won deal does)."""
    types = {rule.on for rule in contest.rules}
    return types | {"deal.updated"} if "deal.won" in types else types


def diagnose(
    contest: Contest, events: Iterable[LogEvent], directory: Directory, scores: Sequence[int]
) -> dict[str, Any]:
    """Counts behind a simulation and, when nobody scored, the first cause (``reason``) with its numbers."""
    participants = {r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team)}
    scored = scored_types(contest)
    in_window = by_participants = matching = 0
    types: Counter[str] = Counter()
    for event in events:
        if not contest.starts_at <= event.occurred_at < contest.ends_at or event.type == "deal.reversed":
            continue
        in_window += 1
        if event.rep not in participants:
            continue
        by_participants += 1
        types[event.type] += 1
        matching += event.type in scored
    reason = None
    if not any(scores):
        if not in_window:
            reason = "no_events_in_window"
        elif not participants:
            reason = "no_reps_in_scope"
        elif not by_participants:
            reason = "no_participant_events"
        elif not matching:
            reason = "no_rule_matches"
        else:
            reason = "no_points"
    return {
        "reason": reason,
        "events_in_window": in_window,
        "participants": len(participants),
        "participant_events": by_participants,
        "matching_events": matching,
        "scored_types": sorted(scored),
        "logged_types": [name for name, _ in types.most_common(TYPES_SHOWN)],
    }


def score_histogram(drafts: Sequence[Sequence[int]], bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """How many reps fall in each score range under each draft, on shared ranges so the drafts line up:
    ``edges`` has one more entry than each row of ``counts`` (a range includes its lower edge)."""
    everything = [score for scores in drafts for score in scores]
    low, high = min([*everything, 0]), max([*everything, 0])
    width = max(1, math.ceil((high - low + 1) / bins))
    edges = [low + width * index for index in range(bins + 1)]
    counts = []
    for scores in drafts:
        row = [0] * bins
        for score in scores:
            row[min(bins - 1, (score - low) // width)] += 1
        counts.append(row)
    return {"edges": edges, "counts": counts}
