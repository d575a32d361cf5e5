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
    def team_sizes(self) -> dict[str, int]:
        """Active members per team, counted once per directory (it is immutable)."""
        sizes: dict[str, int] = {}
        for rep in self.reps.values():
            if rep.team and rep.active:
                sizes[rep.team] = sizes.get(rep.team, 0) + 1
        return sizes

    def changed(self, reps: Mapping[str, Rep | None], teams: Mapping[str, Team | None]) -> Directory:
        """A new directory with these reps and teams replaced (``None``: gone); this one stays as it was, so
        whoever holds it keeps a consistent view. Team sizes already counted are carried over, not recounted."""
        directory = Directory(reps=_replaced(self.reps, reps), teams=_replaced(self.teams, teams))
        if "team_sizes" in self.__dict__:
            sizes = dict(self.team_sizes)
            for rep_id, rep in reps.items():
                for member, step in ((self.reps.get(rep_id), -1), (rep, 1)):
                    if member is not None and member.team and member.active:
                        sizes[member.team] = sizes.get(member.team, 0) + step
            # cached_property keeps its value in the instance dict: a frozen dataclass lets it, and so do we.
            directory.__dict__["team_sizes"] = {team: size for team, size in sizes.items() if size > 0}
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
