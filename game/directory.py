"""Reps and teams as the engine sees them: plain values, loaded at the edge and passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property


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


def initials(name: str) -> str:
    """王芳 → 王.  Alice Chen → A.C."""
    parts = name.split()
    if len(parts) > 1:
        return ".".join(p[0].upper() for p in parts if p) + "."
    return (name[:1].upper() + ".") if name else "?"
