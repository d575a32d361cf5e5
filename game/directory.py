"""Reps and teams as the engine sees them: plain values, loaded at the edge and passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

Value = TypeVar("Value")


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    color: str = ""


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    team: str | None = None
    active: bool = True
    # Shown by initials on public screens (TVs) when the rep opted out of public display.
    opted_out: bool = False
    # CRM user ids by connector id, so webhook owners map to reps.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # The digest of the rep's photo ("" for none): its URL names it, so a new photo is a new URL.
    photo: str = ""


@dataclass(frozen=True)
class Directory:
    reps: Mapping[str, Rep] = field(default_factory=dict)
    teams: Mapping[str, Team] = field(default_factory=dict)

    @cached_property
    def team_members(self) -> dict[str, tuple[str, ...]]:
        """Active members per team, sorted: gathered once per directory (it is immutable), then carried over to
        the directories made from it by ``changed``."""
        members: dict[str, list[str]] = {}
        for rep in self.reps.values():
            if rep.team and rep.active:
                members.setdefault(rep.team, []).append(rep.id)
        return {team: tuple(sorted(ids)) for team, ids in members.items()}

    @cached_property
    def team_sizes(self) -> dict[str, int]:
        """Active members per team."""
        return {team: len(ids) for team, ids in self.team_members.items()}

    def changed(self, reps: Mapping[str, Rep | None], teams: Mapping[str, Team | None]) -> Directory:
        """A new directory with these reps and teams replaced (``None``: gone); this one stays as it was, so
        whoever holds it keeps a consistent view. Team members already gathered are carried over and only the
        teams the changed reps left or joined are gathered again."""
        directory = Directory(reps=_replaced(self.reps, reps), teams=_replaced(self.teams, teams))
        if "team_members" in self.__dict__:
            touched: dict[str, set[str]] = {}
            for rep_id, rep in reps.items():
                for member in (self.reps.get(rep_id), rep):
                    if member is not None and member.team:
                        if member.team not in touched:
                            touched[member.team] = set(self.team_members.get(member.team, ()))
                        touched[member.team].discard(rep_id)
                if rep is not None and rep.team and rep.active:
                    touched[rep.team].add(rep_id)
            members = {**self.team_members, **{team: tuple(sorted(ids)) for team, ids in touched.items()}}
            # cached_property keeps its value in the instance dict, which a frozen dataclass allows.
            directory.__dict__["team_members"] = {team: ids for team, ids in members.items() if ids}
        return directory

    def team_size(self, team_id: str) -> int:
        return self.team_sizes.get(team_id, 0)

    def public_name(self, rep_id: str) -> str:
        """The name a public screen may show: initials for reps who opted out."""
        rep = self.reps.get(rep_id)
        if rep is None:
            return rep_id
        return initials(rep.name) if rep.opted_out else rep.name

    def photo(self, rep_id: str, public: bool) -> str:
        """The digest of the photo an audience may see: none of a rep who opted out, on a public screen."""
        rep = self.reps.get(rep_id)
        if rep is None or (public and rep.opted_out):
            return ""
        return rep.photo


def _replaced(records: Mapping[str, Value], changes: Mapping[str, Value | None]) -> dict[str, Value]:
    updated = dict(records)
    for record_id, record in changes.items():
        if record is None:
            updated.pop(record_id, None)
        else:
            updated[record_id] = record
    return updated


def initials(name: str) -> str:
    """王芳 → 王.  Alice Chen → A.C."""
    parts = name.split()
    if len(parts) > 1:
        return ".".join(p[0].upper() for p in parts if p) + "."
    return (name[:1].upper() + ".") if name else "?"
