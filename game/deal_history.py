"""What stands at the end of a log, event key by event key, by the live rules of corrections: the lift
report and the anti-gaming flags judge deals by it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from game.log_event import LogEvent
from game.scoring import REVERSING_TYPES, UPDATING_TYPES


@dataclass
class DealHistory:
    """Every event key's final state after its corrections, by the live rules: a reversal tombstones the
    key (even before the original arrives), an update replaces the content (even after a reversal), an
    original arriving after a correction changes nothing."""

    standing: dict[str, LogEvent]  # key -> the content that stands (the original or its latest update)
    originals: dict[str, LogEvent]  # key -> the event first logged under it
    reversals: dict[str, LogEvent]  # key -> the reversal that took it back (while it stays reversed)


def deal_history(events: Iterable[LogEvent]) -> DealHistory:
    standing: dict[str, LogEvent] = {}
    originals: dict[str, LogEvent] = {}
    reversals: dict[str, LogEvent] = {}
    touched: set[str] = set()
    for event in events:
        kind = event.type
        if kind in REVERSING_TYPES:
            if event.ref_key:
                standing.pop(event.ref_key, None)
                reversals[event.ref_key] = event
                touched.add(event.ref_key)
        elif kind in UPDATING_TYPES:
            if event.ref_key:
                standing[event.ref_key] = event
                reversals.pop(event.ref_key, None)
                touched.add(event.ref_key)
        elif event.key not in touched:
            touched.add(event.key)
            standing[event.key] = event
            originals[event.key] = event
        elif event.key not in originals:
            originals[event.key] = event  # arrived after its correction: it never stands by itself
    return DealHistory(standing, originals, reversals)
