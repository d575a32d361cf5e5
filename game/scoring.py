"""From one event to the changes it makes in each contest — a pure function, no I/O, no clock.

Rounding rule: each rule's points for an event are ``flat + amount / points_per``, times the multiplier of
the event's category, rounded **down** to a whole point (``ROUND_FLOOR``), per rule and per event. A rep
never gets a fractional point and the sum of ledger entries always equals the board score. Deals with line
items, a margin-basis rule or another currency are scored line by line by ``game.deal_points`` (same rounding).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from game.adjustments import ADJUSTMENT_RULE, adjustment_points
from game.cap_days import contest_cap_day
from game.contests import Contest
from game.deal_points import breakdown, deal_matches, needs_breakdown
from game.directory import Directory
from game.events import ADJUSTMENT_TYPE, Event
from game.exchange_rates import Rates
from game.rules import Rule

REVERSING_TYPES = frozenset({"deal.reversed"})
UPDATING_TYPES = frozenset({"deal.updated"})
DEAL_TYPES = frozenset({"deal.won"}) | UPDATING_TYPES  # what scores provisionally where points are confirmed


@dataclass(frozen=True)
class RuleHit:
    rule: int
    points: int
    cap_per_day: int | None


@dataclass(frozen=True)
class ContestChange:
    """What one event asks of one contest; the write script applies it atomically and idempotently.

    ``deal_key`` names the deal whose points are recorded: the event itself for a new deal, the original
    (``ref``) for an update or a reversal, so a reversal can undo exactly what was applied.
    """

    contest_id: str
    event_key: str
    deal_key: str
    undo: bool
    hits: tuple[RuleHit, ...]
    rep: str
    team: str | None
    team_sizes: dict[str, int]
    day: str
    occurred_epoch: int
    ends_epoch: int
    team_mode: str
    best_n: int
    event_type: str
    amount: str | None
    epoch: int = 1
    # What the rep's ledger tells in words ("a won deal of ¥31,200 for 客户 X"); never used for scoring.
    customer: str | None = None
    currency: str | None = None
    version: int = 1
    division: str | None = None
    target: int = 0  # percent-of-target contests: the rep's target in points; 0 ranks by points
    team_target: int = 0
    replay: bool = False  # written into an epoch being rebuilt (not yet current)
    quiet: bool = False  # rings no doorbell
    # Contests that confirm points (``Contest.confirm``): when the event arrived (a deal due for settlement
    # is settled first), how long a deal it scores stays provisional, whether that ends in confirmation
    # (auto) or expiry, and whether this event confirms the deal it names.
    received_epoch: int = 0
    settle_seconds: int = 0
    auto_confirm: bool = False
    confirms: bool = False
    settle_only: bool = False  # the sweep: settle the deal if it is due, nothing else


def rule_matches(rule: Rule, event: Event, contest: Contest, rates: Rates | None = None) -> bool:
    scored_type = "deal.won" if event.type in UPDATING_TYPES else event.type
    if rule.on != scored_type:
        return False
    if event.items or (event.amount is not None and event.currency != contest.currency):
        if not deal_matches(rule, event, contest.currency, rates):
            return False
    else:
        if rule.category and event.category not in rule.category:
            return False
        if rule.min_amount is not None and (event.amount is None or event.amount < rule.min_amount):
            return False
    return not (rule.new_customer_only and not event.attrs.get("new_customer"))


def rule_points(rule: Rule, event: Event, contest: Contest, rates: Rates | None = None) -> int:
    """Points one rule gives one event, before any daily cap (see the module's rounding rule)."""
    if needs_breakdown(rule, event, contest.currency):
        return breakdown(rule, event, contest.currency, rates).points
    points = Decimal(rule.points)
    if rule.points_per is not None and event.amount is not None and event.currency == contest.currency:
        points += event.amount / rule.points_per
    factor = Decimal(1)
    for attribute, table in rule.multipliers.items():
        value = getattr(event, attribute, None)
        if value is not None and value in table:
            factor *= table[value]
    return int((points * factor).to_integral_value(rounding=ROUND_FLOOR))


def contest_hits(event: Event, contest: Contest, rates: Rates | None = None) -> tuple[RuleHit, ...]:
    """The rules an event scores by; an adjustment (``game.adjustments``) is its own uncapped hit, in its contest
    only, whatever the rules say."""
    adjusted = adjustment_points(event.type, event.attrs, contest.id)
    if adjusted is not None:
        return (RuleHit(ADJUSTMENT_RULE, adjusted, None),)
    if event.type == ADJUSTMENT_TYPE:
        return ()
    return tuple(
        RuleHit(index, rule_points(rule, event, contest, rates), rule.cap_per_day)
        for index, rule in enumerate(contest.rules)
        if rule_matches(rule, event, contest, rates)
    )


def decide(
    event: Event, contests: Iterable[Contest], directory: Directory, rates: Rates | None = None
) -> list[ContestChange]:
    """Every contest change this event causes.

    A reversal is sent to every contest given (the original may have scored in any of them; where it did
    not, the write script records a tombstone so a late-arriving original scores nothing). A new deal or
    activity scores in the contests whose window covers its ``occurred_at`` and that include the rep.
    The caller passes only contests that still accept events (see ``Contest.accepts_at``). ``rates`` converts
    deals in another currency than a contest's (without them, or without the deal's month, such a deal scores
    only flat points: ``scoring_warnings`` says so).
    """
    rep = directory.reps.get(event.rep)
    team = event.team if event.team is not None else (rep.team if rep else None)
    changes: list[ContestChange] = []
    for contest in contests:
        undo = event.type in REVERSING_TYPES or event.type in UPDATING_TYPES
        confirm = contest.confirm
        confirms = confirm is not None and event.type == confirm.on and event.ref_key is not None
        hits: tuple[RuleHit, ...] = ()
        scorable = event.type not in REVERSING_TYPES and contest.covers(event.occurred_at)
        if scorable and not confirms and rep is not None and contest.includes(rep.id, team):
            hits = contest_hits(event, contest, rates)
        if not hits and not undo and not confirms:
            continue
        percent = contest.scoring == "percent_of_target"
        changes.append(
            ContestChange(
                contest_id=contest.id,
                event_key=event.key,
                deal_key=event.ref_key if (undo or confirms) and event.ref_key else event.key,
                undo=undo,
                hits=hits,
                rep=event.rep,
                team=team,
                team_sizes={team: directory.team_size(team)} if team else {},
                day=contest_cap_day(contest, event.occurred_at),  # the day whose caps it counts against
                occurred_epoch=int(event.occurred_at.timestamp()),
                ends_epoch=int(contest.ends_at.timestamp()),
                team_mode=contest.team_score.mode,
                best_n=contest.team_score.best_n,
                event_type=event.type,
                amount=str(event.amount) if event.amount is not None else None,
                customer=event.customer,
                currency=event.currency,
                epoch=contest.epoch,
                version=contest.version,
                division=contest.division_of(event.rep),
                target=(contest.target_for(event.rep) or 0) if percent else 0,
                team_target=team_target(contest, directory, team) if percent and team else 0,
                **confirmation(contest, event, confirms),
            )
        )
    return changes


def confirmation(contest: Contest, event: Event, confirms: bool) -> dict[str, Any]:
    """The provisional-points fields of a change (none for a contest that does not confirm points)."""
    if contest.confirm is None:
        return {}
    return {
        "received_epoch": int(event.received_at.timestamp()),
        "settle_seconds": contest.confirm.window_seconds if event.type in DEAL_TYPES else 0,
        "auto_confirm": contest.confirm.auto_after_days is not None,
        "confirms": confirms,
    }


def team_target(contest: Contest, directory: Directory, team: str) -> int:
    """A team's target in percent-of-target contests: the sum of its active members' targets."""
    return sum(contest.target_for(rep) or 0 for rep in directory.team_members.get(team, ()))


def settlement(contest: Contest, deal_key: str, now: datetime) -> ContestChange:
    """The change that settles one provisional deal whose moment has come (``Contest.confirm``): confirmed
    when the contest confirms automatically, else expired. The scheduler sweeps with these; an event that
    touches such a deal settles it the same way first."""
    at = int(now.timestamp())
    return ContestChange(
        contest_id=contest.id,
        event_key=f"settle:{deal_key}",
        deal_key=deal_key,
        undo=False,
        hits=(),
        rep="",
        team=None,
        team_sizes={},
        day="",
        occurred_epoch=at,
        ends_epoch=int(contest.ends_at.timestamp()),
        team_mode=contest.team_score.mode,
        best_n=contest.team_score.best_n,
        event_type="deal.settled",
        amount=None,
        epoch=contest.epoch,
        version=contest.version,
        received_epoch=at,
        auto_confirm=contest.confirm is not None and contest.confirm.auto_after_days is not None,
        settle_only=True,
    )


def scoring_warnings(event: Event, contests: Iterable[Contest], directory: Directory, rates: Rates | None) -> list[str]:
    """What the ingest answer must tell about a deal that scores less than it will or should: its month has no
    rate yet (it scores once a manager sets it), or a margin rule found no margin on it."""
    rep = directory.reps.get(event.rep)
    if rep is None or event.amount is None or event.type not in DEAL_TYPES:
        return []
    team = event.team if event.team is not None else rep.team
    warnings: dict[str, None] = {}
    for contest in contests:
        if not contest.covers(event.occurred_at) or not contest.includes(rep.id, team):
            continue
        foreign = event.currency != contest.currency
        for rule in contest.rules:
            if rule.points_per is None or not (foreign or rule.basis == "margin"):
                continue  # the common case, on the ingest path: nothing to warn of
            if not rule_matches(rule, event, contest, rates):
                continue
            scored = breakdown(rule, event, contest.currency, rates)
            if scored.waiting_for is not None and rates is not None:
                month = rates.month_of(event.occurred_at)
                warnings[
                    f"currency: no {scored.waiting_for} rate for {month} yet: the deal is kept and its amount scores "
                    f"in {contest.id} once a manager sets that rate (PUT /api/v1/rates/{month})"
                ] = None
            elif rule.basis == "margin" and any(line.basis is None for line in scored.lines):
                warnings[
                    f"margin: {contest.id} scores on margin and this deal (or a line of it) has none: "
                    "no margin points for it (send margin or items[].margin)"
                ] = None
    return list(warnings)
