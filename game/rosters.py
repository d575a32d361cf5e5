"""Who plays for which team in a contest, as of the current directory: the teams on a contest's team board
and each one's roster (its active members and, in percent-of-target contests, their summed target).

The roster is what moves at once when a rep changes team or is deactivated: the team size an average
divides by, the members a best-N score picks from, and the team's target. Points do not move: they stay
with the team the rep earned them for (each deal record names it). ``Arena.sync_rosters`` writes rosters to
each running contest through ``regroup_teams.lua``; ``apply_contest.lua`` and ``ContestReplay`` score teams
by them.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from game.contests import Contest
from game.directory import Directory
from game.scoring import team_target


@dataclass(frozen=True)
class TeamRoster:
    members: tuple[str, ...]  # active reps of the team, sorted
    target: int  # percent-of-target contests: the members' summed target in points; else 0

    def encode(self) -> str:
        """As the scripts keep it (one hash field per team): compact JSON, the same text for the same roster,
        so the script can tell a changed roster from an unchanged one by comparing text."""
        return json.dumps({"reps": list(self.members), "target": self.target}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> TeamRoster:
        document = json.loads(raw)
        return cls(tuple(document["reps"]), int(document["target"]))


@dataclass(frozen=True)
class Regroup:
    """One contest epoch's team rosters as the directory has them now (written by ``regroup_teams.lua``)."""

    contest_id: str
    epoch: int
    team_mode: str
    best_n: int
    ends_epoch: int
    rosters: Mapping[str, TeamRoster]
    quiet: bool = False  # an epoch being rebuilt: no doorbell


def regroup(
    contest: Contest, directory: Directory, *, quiet: bool = False, teams: Collection[str] | None = None
) -> Regroup:
    """The contest's teams regrouped by the directory as it is now (at the contest's epoch): all of them, or
    only ``teams`` (those a change touched; the others' rosters stand)."""
    return Regroup(
        contest.id,
        contest.epoch,
        contest.team_score.mode,
        contest.team_score.best_n,
        int(contest.ends_at.timestamp()),
        team_rosters(contest, directory, teams),
        quiet,
    )


def contest_teams(contest: Contest, directory: Directory) -> list[str]:
    """The teams on a contest's team board: its teams (default all), only the sides of a team duel."""
    teams = [t for t in directory.teams if contest.teams is None or t in contest.teams]
    if contest.kind == "head_to_head" and contest.side_type == "team":
        teams = [t for t in teams if t in contest.sides]
    return teams


def team_rosters(contest: Contest, directory: Directory, teams: Collection[str] | None = None) -> dict[str, TeamRoster]:
    """Every team of the contest's team board (or those of them in ``teams``) with its roster as the directory
    has it now."""
    percent = contest.scoring == "percent_of_target"
    return {
        team: TeamRoster(directory.team_members.get(team, ()), team_target(contest, directory, team) if percent else 0)
        for team in contest_teams(contest, directory)
        if teams is None or team in teams
    }


def team_points(mode: str, best_n: int, points: Mapping[str, int], size: int, roster: TeamRoster | None) -> int:
    """A team's exact score from the points its members earned for it (``points``: rep -> points, every rep
    who ever earned some for the team): the sum, the sum per member (``size``, at least 1), or the best N
    members' points; with a roster, only its members count for best-N (at 0 when they earned nothing yet)."""
    if mode == "best":
        eligible = points.values() if roster is None else [points.get(rep, 0) for rep in roster.members]
        return sum(heapq.nlargest(best_n, eligible))
    total = sum(points.values())
    if mode == "average":
        return math.floor(total / max(size, 1))
    return total
