"""The console's list of reps at any directory size: ordered once per directory, then narrowed in memory to
a user's teams, a team and a search, and cut into pages, so a page costs one filter and never a sort or a
render of the whole directory.

A directory never changes (a change makes a new one), so what is gathered from it is kept until the next
one arrives; the latest is all a process asks for.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from math import ceil
from typing import overload

from game.directory import Directory, Rep

PAGE_SIZE = 50
MAX_QUERY_CHARS = 100  # a search longer than any id or name finds nothing more
BROAD_SEARCH = 2000  # places of a search's text past which one regular expression finds its reps faster


def search_text(text: str) -> str:
    """What a search compares: full-width Latin and digits folded to ASCII (NFKC), case folded; Chinese stays."""
    return text.casefold() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()


SEPARATOR = "\x00"  # before each rep's text in a run; a query never holds one (control characters are dropped)


@dataclass(frozen=True)
class RepRun:
    """Reps in order, and (once a search asks) their ids and names as a search sees them joined in one string,
    so a search is one scan in C rather than a comparison per rep. A run made of other runs joins theirs."""

    reps: tuple[Rep, ...]
    runs: tuple[RepRun, ...] = ()

    @property
    def text(self) -> str:
        return self._joined[0]

    @property
    def starts(self) -> tuple[int, ...]:
        """Where each rep's text begins in ``text``."""
        return self._joined[1]

    @cached_property
    def _joined(self) -> tuple[str, tuple[int, ...]]:
        parts = [run.text for run in self.runs] or [
            f"{SEPARATOR}{search_text(rep.id)} {search_text(rep.name)}" for rep in self.reps
        ]
        offsets = tuple(accumulate((len(part) for part in parts[:-1]), initial=0)) if parts else ()
        if self.runs:
            starts = tuple(offset + at for run, offset in zip(self.runs, offsets, strict=True) for at in run.starts)
        else:
            starts = offsets
        return "".join(parts), starts

    def matching(self, needle: str, broad: int = BROAD_SEARCH) -> Found:
        """The reps whose text contains ``needle``, each once, in order. A selective search jumps from one
        place of the needle to the next (``str.find``); a broad one (a common surname) is one regular
        expression that matches from a rep's separator to the needle's first place in that rep's text."""
        if self.text.count(needle) > broad:
            pattern = re.compile(f"{SEPARATOR}[^{SEPARATOR}]*?{re.escape(needle)}")
            return Found(self, [match.start() for match in pattern.finditer(self.text)])
        found: list[int] = []
        position = self.text.find(needle)
        while position != -1:
            following = bisect_right(self.starts, position)
            found.append(self.starts[following - 1])
            if following == len(self.starts):
                break
            position = self.text.find(needle, self.starts[following])
        return Found(self, found)


class Found(Sequence[Rep]):
    """A search's reps, known by where their texts begin: only those a page shows are looked up."""

    def __init__(self, run: RepRun, starts: list[int]) -> None:
        self.run = run
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, position: int) -> Rep: ...
    @overload
    def __getitem__(self, position: slice) -> list[Rep]: ...
    def __getitem__(self, position: int | slice) -> Rep | list[Rep]:
        if isinstance(position, slice):
            return [self._rep(start) for start in self.starts[position]]
        return self._rep(self.starts[position])

    def _rep(self, start: int) -> Rep:
        return self.run.reps[bisect_left(self.run.starts, start)]


@dataclass(frozen=True)
class RepIndex:
    """One directory's reps: by team ("" for none) in id order, and all of them (those without a team first,
    then team by team)."""

    by_team: dict[str, RepRun]
    everyone: RepRun

    def of_teams(self, teams: Collection[str] | None) -> list[RepRun]:
        """The runs of these teams (None: every rep), in the list's order."""
        if teams is None:
            return [self.everyone]
        return [self.by_team[team] for team in sorted(set(teams)) if team in self.by_team]


_latest: tuple[Directory, RepIndex] | None = None


def rep_index(directory: Directory) -> RepIndex:
    """The directory's index, gathered on the first request after each change."""
    global _latest
    if _latest is not None and _latest[0] is directory:
        return _latest[1]
    grouped: dict[str, list[Rep]] = {}
    for rep in directory.reps.values():
        grouped.setdefault(rep.team or "", []).append(rep)
    by_team = {team: RepRun(tuple(sorted(reps, key=lambda r: r.id))) for team, reps in sorted(grouped.items())}
    runs = tuple(by_team.values())
    index = RepIndex(by_team=by_team, everyone=RepRun(tuple(rep for run in runs for rep in run.reps), runs))
    _latest = (directory, index)
    return index


def listed(runs: Sequence[RepRun], query: str) -> Sequence[Rep]:
    """The reps of these runs whose id or name contains the query, ignoring case and full-width forms (all of
    them for an empty query)."""
    needle = "".join(c for c in search_text(query[:MAX_QUERY_CHARS]) if c.isprintable()).strip()
    if len(runs) == 1:
        return runs[0].matching(needle) if needle else runs[0].reps
    return [rep for run in runs for rep in (run.matching(needle) if needle else run.reps)]


@dataclass(frozen=True)
class RepPage:
    """One page of a narrowed list: its reps, where it stands (1-based) and how many matched."""

    reps: Sequence[Rep]
    number: int
    pages: int
    total: int
    first: int  # the position of the page's first rep in the list, 1-based; 0 when nothing matched
    last: int


def page_of(reps: Sequence[Rep], number: int, size: int = PAGE_SIZE) -> RepPage:
    """Page ``number`` of ``reps`` (brought within the pages there are)."""
    total = len(reps)
    pages = max(1, ceil(total / size))
    number = min(max(1, number), pages)
    start = (number - 1) * size
    shown = reps[start : start + size]
    return RepPage(shown, number, pages, total, start + 1 if shown else 0, start + len(shown))
