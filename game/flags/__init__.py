"""Anti-gaming flags: patterns in a contest a manager should look at, each with the events behind it.

One module per kind, each a pure detector (``KIND``, ``detect(context) -> list[Flag]``):

- ``split_deals``: one deal split into several just under a threshold (same rep and customer, short time);
- ``closing_rush``: deals bunched right before the contest closes and reversed after it;
- ``low_conversion``: an activity spike (calls, meetings) with deals not following;
- ``reversal_rate``: reversals far above the rep's own normal and the team's;
- ``duplicate_new_customer``: the same customer counted as "new" more than once.

A flag never changes a score. A manager dismisses it or reverses its events (``deal.reversed`` through the
normal ingest path); the decision is kept in the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from game.contests import Contest
from game.deal_history import DealHistory, deal_history
from game.directory import Directory
from game.log_event import LogEvent

DEAL_TYPES = frozenset({"deal.won", "deal.updated"})
ACTIVITY_TYPES = frozenset({"call.logged", "meeting.held"})
HISTORY_PERIODS = 3  # how far back "normal" is looked up: three contest lengths before the start
MAX_LISTED_EVENTS = 200  # events listed per flag (the evidence keeps the full counts)


@dataclass(frozen=True)
class Flag:
    kind: str
    contest: str
    rep: str
    explanation: dict[str, str]  # {"zh-CN": ..., "en": ...}
    events: tuple[LogEvent, ...]  # the events behind the flag
    reversible: tuple[LogEvent, ...]  # what "reverse" takes back (a subset of ``events``)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable for the same finding: the contest, kind, rep and the events behind it."""
        basis = "|".join([self.contest, self.kind, self.rep, *sorted(e.key for e in self.events)])
        return "fl-" + hashlib.sha256(basis.encode()).hexdigest()[:20]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "contest": self.contest,
            "rep": self.rep,
            "explanation": self.explanation,
            "evidence": self.evidence,
            "event_ids": [e.id for e in self.events],
            "events": [describe(e) for e in self.events],
            "reversible": [e.key for e in self.reversible],
        }


def describe(event: LogEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": event.id,
        "source": event.source,
        "key": event.key,
        "type": event.type,
        "rep": event.rep,
        "occurred_at": event.occurred_at.isoformat(),
        "received_at": event.received_at.isoformat(),
    }
    for name in ("amount", "currency", "customer", "ref", "category"):
        value = getattr(event, name)
        if value is not None:
            out[name] = str(value) if isinstance(value, Decimal) else value
    if event.new_customer:
        out["new_customer"] = True
    return out


@dataclass(frozen=True)
class FlagContext:
    """What every detector reads: the contest, the log from well before it until now, and who took part."""

    contest: Contest
    events: Sequence[LogEvent]
    participants: frozenset[str]
    history: DealHistory
    thresholds: tuple[Decimal, ...] = ()

    @property
    def length(self) -> timedelta:
        return self.contest.ends_at - self.contest.starts_at

    def in_contest(self, moment: datetime) -> bool:
        return self.contest.starts_at <= moment < self.contest.ends_at

    def in_baseline(self, moment: datetime, periods: int = 1) -> bool:
        return self.contest.starts_at - periods * self.length <= moment < self.contest.starts_at


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.0f}" if amount == amount.to_integral_value() else f"{currency} {amount:,.2f}"


def context(
    contest: Contest, events: Sequence[LogEvent], directory: Directory, thresholds: Iterable[Decimal] = ()
) -> FlagContext:
    participants = frozenset(rep.id for rep in directory.reps.values() if contest.includes(rep.id, rep.team))
    rule_thresholds = {rule.min_amount for rule in contest.rules if rule.min_amount is not None and rule.min_amount > 0}
    found = sorted(rule_thresholds | {t for t in thresholds if t > 0})
    return FlagContext(contest, events, participants, deal_history(events), tuple(found))


def detect(
    contest: Contest, events: Sequence[LogEvent], directory: Directory, thresholds: Iterable[Decimal] = ()
) -> list[Flag]:
    """Every flag of every kind, most serious kinds first, then by rep."""
    from game.flags import closing_rush, duplicate_new_customer, low_conversion, reversal_rate, split_deals

    ctx = context(contest, events, directory, thresholds)
    flags: list[Flag] = []
    for module in (split_deals, closing_rush, duplicate_new_customer, reversal_rate, low_conversion):
        flags.extend(sorted(module.detect(ctx), key=lambda f: (f.rep, f.id)))
    return flags


KINDS = ("split_deals", "closing_rush", "duplicate_new_customer", "reversal_rate", "low_conversion")
