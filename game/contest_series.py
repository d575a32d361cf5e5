"""A contest's points day by day, for charts: each rep's (or team's) points per local day and running total, the
pace line to the target and the days the lead changed hands.

The numbers are the replay's (``game.contest_replay``): only points that stand at the end count (a reversed deal
counts on no day, an updated one counts its latest amount on the day it occurred), capped groups count
``min(sum, cap)`` on their day, and a day is a date in the contest's time zone (the organisation's), so a deal at
23:30 in Shanghai belongs to that evening's date whatever UTC says. Pure: a replay's boards and ``now`` come in,
a plain document goes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from game.contest_replay import Boards, contest_days
from game.contests import Contest
from game.directory import Directory
from game.rosters import team_points, team_rosters

MAX_TOP = 20  # series a chart may ask for: more lines than this is unreadable anyway
BY = ("rep", "team")


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    daily: list[int]
    cumulative: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "daily": self.daily, "cumulative": self.cumulative}


def days_so_far(contest: Contest, now: datetime) -> list[str]:
    """The contest's local dates from its first to today's (all of them once it has ended; none before it starts)."""
    if now < contest.starts_at:
        return []
    today = min(now, contest.ends_at - timedelta(microseconds=1)).astimezone(contest.zone).date().isoformat()
    return [day for day in contest_days(contest) if day <= today]


def day_starts(contest: Contest, days: Iterable[str]) -> list[int]:
    """Epoch seconds of each local date's midnight (where charts put the day)."""
    zone = contest.zone
    return [int(datetime.combine(date.fromisoformat(day), time(), zone).timestamp()) for day in days]


def pace_line(contest: Contest, target: int, days: list[str]) -> list[int]:
    """Where a straight line from 0 at the start to ``target`` at the end stands at the end of each day."""
    span = (contest.ends_at - contest.starts_at).total_seconds()
    out = []
    for day in days:
        end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), contest.zone)
        elapsed = min(max((end - contest.starts_at).total_seconds(), 0.0), span)
        out.append(round(target * elapsed / span) if span > 0 else target)
    return out


def running(values: list[int]) -> list[int]:
    total, out = 0, []
    for value in values:
        total += value
        out.append(total)
    return out


def rep_target(contest: Contest, rep_id: str) -> int | None:
    """A rep's own target: per-rep targets (percent of target) or a race's finish line."""
    return contest.target_for(rep_id) or (contest.target if contest.kind == "race" else None)


def contest_target(contest: Contest, reps: Iterable[str]) -> int | None:
    """The total the contest's participants aim for together: a shared goal, else their targets summed."""
    if contest.goal:
        return contest.goal
    if contest.scoring != "percent_of_target" and not contest.targets:
        return None
    total = sum(contest.target_for(rep) or 0 for rep in reps)
    return total or None


def rep_daily(boards: Boards, days: list[str]) -> dict[str, list[int]]:
    """Standing points per rep per day (over whichever teams the rep earned them for)."""
    index = {day: i for i, day in enumerate(days)}
    out: dict[str, list[int]] = {}
    for (_team, rep), by_day in boards.contributions.items():
        row = out.setdefault(rep, [0] * len(days))
        for day, points in by_day.items():
            if day in index:
                row[index[day]] += points
    return out


def team_cumulative(contest: Contest, boards: Boards, directory: Directory, days: list[str]) -> dict[str, list[int]]:
    """Each team's score at the end of each day, by the contest's team score (sum, average per member, best N)."""
    index = {day: i for i, day in enumerate(days)}
    rosters = team_rosters(contest, directory)
    members: dict[str, dict[str, list[int]]] = {team: {} for team in rosters}
    for (team, rep), by_day in boards.contributions.items():
        if not team:
            continue
        row = members.setdefault(team, {}).setdefault(rep, [0] * len(days))
        for day, points in by_day.items():
            if day in index:
                row[index[day]] += points
    mode, best_n = contest.team_score.mode, contest.team_score.best_n
    out: dict[str, list[int]] = {}
    for team, reps in members.items():
        totals = {rep: running(daily) for rep, daily in reps.items()}
        roster = rosters.get(team)
        size = len(roster.members) if roster else directory.team_size(team)
        out[team] = [
            team_points(mode, best_n, {rep: line[i] for rep, line in totals.items()}, size, roster)
            for i in range(len(days))
        ]
    return out


def lead_changes(cumulative: Mapping[str, list[int]], days: list[str]) -> list[dict[str, str]]:
    """The days someone new led at the end of the day (a tie keeps the lead with whoever held it)."""
    changes: list[dict[str, str]] = []
    leader: str | None = None
    for i, day in enumerate(days):
        best = max((line[i] for line in cumulative.values()), default=0)
        if best <= 0:
            continue
        if leader is not None and cumulative[leader][i] >= best:
            continue
        leader = max(who for who, line in cumulative.items() if line[i] == best)
        changes.append({"day": day, "leader": leader})
    return changes


def contest_series(
    contest: Contest,
    boards: Boards,
    directory: Directory,
    now: datetime,
    *,
    by: str = "rep",
    top: int = 5,
    names: Mapping[str, str] | None = None,
    rep: str | None = None,
) -> dict[str, Any]:
    """The chart document of a contest so far: the ``top`` reps (or teams) by points with their lines, the total
    of everyone, the pace to the contest's target and the lead changes (among everyone on that board). With
    ``rep``, the one line is that rep's and the pace is to their own target. ``boards`` is a replay's, with
    contributions."""
    days = days_so_far(contest, now)
    participants = [r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team)]
    per_rep = rep_daily(boards, days)
    if by == "team":
        cumulative = team_cumulative(contest, boards, directory, days)
        daily = {who: [b - a for a, b in zip([0, *line], line, strict=False)] for who, line in cumulative.items()}
    else:
        daily = {who: [0] * len(days) for who in participants} | per_rep
        cumulative = {who: running(line) for who, line in daily.items()}
    label = dict(names or {})
    ranked = sorted(cumulative, key=lambda who: (-(cumulative[who][-1] if days else 0), who))[: max(0, top)]
    total_daily = [sum(line[i] for line in per_rep.values()) for i in range(len(days))]
    target = contest_target(contest, participants)
    if rep is not None:
        ranked = [rep]
        daily.setdefault(rep, [0] * len(days))
        cumulative.setdefault(rep, [0] * len(days))
        target = rep_target(contest, rep)
    changes = lead_changes(cumulative, days)
    return {
        "contest": contest.id,
        "by": by,
        "timezone": contest.timezone,
        "days": days,
        "x": day_starts(contest, days),
        "series": [Line(who, label.get(who, who), daily[who], cumulative[who]).as_dict() for who in ranked],
        "total": {"daily": total_daily, "cumulative": running(total_daily)},
        "target": target,
        "pace": pace_line(contest, target, days) if target else None,
        "lead_changes": [{**change, "name": label.get(change["leader"], change["leader"])} for change in changes],
    }
