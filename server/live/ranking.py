"""A contest's rep board held in memory for the phones, moved rep by rep between full reads.

The hub reads a ``me:`` board's rows in full only now and then (``server/live/phones.py`` says when); in
between, each tick it reads the scores of the reps its won-deal doorbells named and moves them here. A
standing is then two bisections (competition ranks: 1 + how many score strictly more; the gap is to the
nearest higher score), and a move tells which scores it touched, so only the phones of reps in that band
are looked at. When the board has more reps than a read holds, the reps held are its top ones: a rep held
is ranked here, a rep below them by the store (``boards.read_standings``).

Followed reps (those with a phone) are kept in score order as well, so the reps a move touched are found
by bisection, not by a walk over every phone.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import TypeVar

from server.services.standings import Ranking, Standing

T = TypeVar("T", int, tuple[int, str])  # an entry of a sorted list: a negated score, or (score, rep)
Band = tuple[int, int]  # lowest and highest score whose standings a move may have changed
_standing = tuple.__new__  # a Standing made in C (a named tuple's own ``__new__`` is Python)


class LiveRanking:
    """Reps' scores on one board at one epoch, as of ``seq`` (every change up to it applied)."""

    __slots__ = ("_followed", "_order", "epoch", "held_all", "provisional", "scores", "seq", "total")

    def __init__(self, epoch: int, seq: int, total: int, ranking: Ranking) -> None:
        self.epoch = epoch
        self.seq = seq
        self.total = total
        self.scores: dict[str, int] = dict(zip(ranking.ids, ranking.scores, strict=True))
        self.held_all = len(self.scores) >= total  # every rep on the board is held, new ones join
        self.provisional = ranking.provisional
        self._order = sorted(-score for score in ranking.scores)  # scores, best first (negated, ascending)
        self._followed: list[tuple[int, str]] = []  # (score, rep) of the held reps with a phone, ascending

    # --- standings ----------------------------------------------------------------------------

    def standing(self, rep: str) -> Standing | None:
        """A held rep's standing; None for a rep below the reps held (or not on the board)."""
        score = self.scores.get(rep)
        if score is None:
            return None
        order = self._order
        above = bisect_left(order, -score)
        gap = -order[above - 1] - score if above else None
        pending = self.provisional
        return _standing(Standing, (above + 1, score, gap, None if pending is None else pending.get(rep, 0)))

    def below(self, score: int) -> int:
        """The nearest held score under ``score`` (``score`` itself if none): its gap may be about to change."""
        order = self._order
        index = bisect_right(order, -score)
        return -order[index] if index < len(order) else score

    @property
    def floor(self) -> int | None:
        """The lowest score held (reps below the reps held score at most this)."""
        return -self._order[-1] if self._order else None

    # --- moves --------------------------------------------------------------------------------

    def move(self, rep: str, score: int | None, followed: bool) -> tuple[int | None, int | None]:
        """A rep's score as just read (None: not on the board; ``followed``: the rep has a phone). Returns
        its score held before and after (None: not held): a rep below the reps held joins them only at or
        above the lowest of them."""
        old = self.scores.get(rep)
        if old == score:
            return old, old
        order, scores = self._order, self.scores
        new: int | None = None
        if score is not None and (self.held_all or (order and score >= -order[-1])):
            new = score
        if old is not None and new is not None:  # a move within the reps held: only the band between shifts
            scores[rep] = new
            shift(order, bisect_left(order, -old), -new)
            self._refollow(rep, old, new, followed)
            return old, new
        if old is not None:
            del scores[rep]
            order.pop(bisect_left(order, -old))
            self._unfollow(rep, old)
        if new is not None:
            scores[rep] = new
            insort(order, -new)
            if followed:
                insort(self._followed, (new, rep))
        return old, new

    def band(self, old: int | None, new: int | None) -> Band | None:
        """The held scores whose standings a move from ``old`` to ``new`` may have changed: from the nearest
        score under both (its gap) to the higher of them."""
        moved = [score for score in (old, new) if score is not None]
        if not moved:
            return None
        return self.below(min(moved)), max(moved)

    # --- followed reps ------------------------------------------------------------------------

    def follow(self, followed: set[str]) -> None:
        """Index the held reps among ``followed`` (after a full read)."""
        self._followed = sorted((self.scores[rep], rep) for rep in followed if rep in self.scores)

    def add_follower(self, rep: str) -> None:
        score = self.scores.get(rep)
        if score is not None and not self._follows(rep, score):
            insort(self._followed, (score, rep))

    def drop_follower(self, rep: str) -> None:
        score = self.scores.get(rep)
        if score is not None:
            self._unfollow(rep, score)

    def followed_in(self, band: Band) -> list[str]:
        """The followed reps held with a score in ``band`` (inclusive)."""
        low, high = band
        followed = self._followed
        start, end = bisect_left(followed, (low,)), bisect_left(followed, (high + 1,))
        return [rep for _, rep in followed[start:end]]

    def _follows(self, rep: str, score: int) -> bool:
        index = bisect_left(self._followed, (score, rep))
        return index < len(self._followed) and self._followed[index] == (score, rep)

    def _refollow(self, rep: str, old: int, new: int, followed: bool) -> None:
        followers = self._followed
        index = bisect_left(followers, (old, rep))
        held = index < len(followers) and followers[index] == (old, rep)
        if held and followed:
            shift(followers, index, (new, rep))
        elif held:
            del followers[index]
        elif followed:
            insort(followers, (new, rep))

    def _unfollow(self, rep: str, score: int) -> None:
        index = bisect_left(self._followed, (score, rep))
        if index < len(self._followed) and self._followed[index] == (score, rep):
            del self._followed[index]


def shift(ordered: list[T], index: int, item: T) -> None:
    """Replace ``ordered[index]`` by ``item`` and keep the list sorted (as a pop and an ``insort`` would),
    moving only the entries between the two places: a deal moves a rep a few places, and popping and
    inserting would move every entry behind both places (tens of kilobytes at 10,000 reps)."""
    to = bisect_right(ordered, item)
    if to <= index:  # up: the entries in between move one place down
        ordered[to + 1 : index + 1] = ordered[to:index]
        ordered[to] = item
    else:  # down: they move one place up
        ordered[index : to - 1] = ordered[index + 1 : to]
        ordered[to - 1] = item
