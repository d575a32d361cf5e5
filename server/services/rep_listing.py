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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, chain, compress
from math import ceil
from operator import is_not
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
PATCHED_AT_MOST = 1000  # reps changed since the last index past which it is gathered afresh


def rep_index(directory: Directory) -> RepIndex:
    """The directory's index: the last one again, or the last one with the teams of the reps that changed
    gathered again (their other teams' runs and search texts kept), or one gathered afresh."""
    global _latest
    if _latest is not None and _latest[0] is directory:
        return _latest[1]
    index = _patched(*_latest, directory) if _latest is not None else None
    index = index or _gathered(directory.reps.values())
    _latest = (directory, index)
    return index


def _gathered(reps: Iterable[Rep]) -> RepIndex:
    grouped: dict[str, list[Rep]] = {}
    for rep in reps:
        grouped.setdefault(rep.team or "", []).append(rep)
    return _indexed({team: RepRun(tuple(sorted(members, key=lambda r: r.id))) for team, members in grouped.items()})


def _indexed(by_team: dict[str, RepRun]) -> RepIndex:
    runs = tuple(run for _, run in sorted(by_team.items()))
    everyone = RepRun(tuple(chain.from_iterable(run.reps for run in runs)), runs)
    return RepIndex(by_team=dict(sorted(by_team.items())), everyone=everyone)


def _patched(before: Directory, index: RepIndex, after: Directory) -> RepIndex | None:
    """``index`` of ``before`` brought to ``after`` when few reps differ (a directory made by ``changed`` keeps
    the others as they were); None when many do."""
    if before.reps.keys() == after.reps.keys():  # so in the same order: ``changed`` replaces in place
        changed = set(compress(after.reps, map(is_not, before.reps.values(), after.reps.values())))
    else:
        changed = {rep_id for rep_id, rep in after.reps.items() if before.reps.get(rep_id) is not rep}
        changed |= before.reps.keys() - after.reps.keys()
    if len(changed) > PATCHED_AT_MOST:
        return None
    versions = (before.reps.get(rep_id) for rep_id in changed)
    touched = {(rep.team or "") for rep in chain(versions, (after.reps.get(rep_id) for rep_id in changed)) if rep}
    by_team = dict(index.by_team)
    for team in touched:
        kept = [rep for rep in by_team.pop(team, RepRun(())).reps if rep.id not in changed]
        joined = [rep for rep_id in changed if (rep := after.reps.get(rep_id)) and (rep.team or "") == team]
        if kept or joined:
            by_team[team] = RepRun(tuple(sorted(kept + joined, key=lambda r: r.id)))
    return _indexed(by_team)


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
