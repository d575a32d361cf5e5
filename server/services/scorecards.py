"""Scorecards (绩效考核) for a period: what stands in the event log from the retention lookback before it to now
(later reversals count), from the month sums kept as the log grows (``server/services/period_totals.py``), the
ratio KPIs computed once for every rep and team (``game.kpis``), and each card scored by its team's definition
(``game.scorecard``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from game.directory import Directory, Rep
from game.kpis import KpiFacts, facts_by_rep_and_team, kpi_values, lookback_start
from game.lift import Period
from game.period_totals import PeriodTotals
from game.scorecard import ScorecardDefinition, score_card
from server.services.insights import crunch
from server.services.period_totals import with_totals

if TYPE_CHECKING:
    from server.arena import Arena


def _card(definition: ScorecardDefinition | None, facts: KpiFacts | None) -> dict[str, Any]:
    basis = definition.conversion_basis if definition else "closed"
    return score_card(definition, kpi_values(facts, definition.minimums if definition else None, basis))


async def _facts(arena: Arena, directory: Directory, period: Period) -> tuple[dict[str, KpiFacts], dict[str, KpiFacts]]:
    """Every rep's and team's facts: from the month sums kept as the log grows (``period_totals.py``), or by
    reading the log from the period's lookback when they do not reach that far back."""
    team_of_rep = {rep.id: rep.team for rep in directory.reps.values()}
    since = lookback_start(period)

    def from_sums(totals: PeriodTotals) -> tuple[dict[str, KpiFacts], dict[str, KpiFacts]] | None:
        months = totals.clock.months_between(period.start, period.end)
        return None if months is None else totals.facts_by_rep_and_team(months, int(since.timestamp()), team_of_rep)

    found = await with_totals(arena, since, from_sums)
    if found is not None:
        return found
    events = await arena.event_log.read_events(since)
    return await crunch(facts_by_rep_and_team, events, period, arena.settings.currency, team_of_rep)


def _period(label: str, period: Period) -> dict[str, str]:
    return {"period": label, "from": period.start.isoformat(), "to": period.end.isoformat()}


def members(directory: Directory, team_id: str) -> list[Rep]:
    return sorted((r for r in directory.reps.values() if r.team == team_id and r.active), key=lambda r: r.name)


async def team_scorecards(
    arena: Arena, directory: Directory, team_id: str, label: str, period: Period
) -> dict[str, Any]:
    """The team's card (its members' events pooled) and each active member's card, by the team's definition."""
    definition = await arena.scorecards.get(team_id)
    by_rep, by_team = await _facts(arena, directory, period)
    team = directory.teams[team_id]
    return {
        **_period(label, period),
        "team": {"id": team.id, "name": team.name},
        "definition": definition.as_dict() if definition else None,
        "card": _card(definition, by_team.get(team_id)),
        "reps": [
            {"id": rep.id, "name": rep.name, "card": _card(definition, by_rep.get(rep.id))}
            for rep in members(directory, team_id)
        ],
    }


async def rep_scorecard(arena: Arena, directory: Directory, rep: Rep, label: str, period: Period) -> dict[str, Any]:
    """One rep's card by their team's definition (without a team or a definition: the KPIs, no total)."""
    definition = await arena.scorecards.get(rep.team) if rep.team else None
    by_rep, _ = await _facts(arena, directory, period)
    return {
        **_period(label, period),
        "rep": {"id": rep.id, "name": rep.name, "team": rep.team},
        "definition": definition.as_dict() if definition else None,
        "card": _card(definition, by_rep.get(rep.id)),
    }
