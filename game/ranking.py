"""Fair ranking: ties go to whoever reached the score first, ranks are standard competition ranks.

A sorted set orders by one double, so score and tie-break share it::

    composite = score * 2**TIME_BITS + seconds_left

``seconds_left`` is the time from the latest score-changing event (the maximum ``occurred_at`` seen, so
arrival order cannot reshuffle ties) to the contest's end, clamped to ``[0, 2**TIME_BITS)``. With
``TIME_BITS = 25`` (388 days of second resolution) and ``|score| < 2**27`` every composite is an integer
below ``2**52``, exactly representable in a double (53-bit mantissa), so ZADD, Lua arithmetic and JSON
round trips all stay exact. Contests longer than ``MAX_CONTEST_SECONDS`` are refused at validation, and
the write script refuses scores outside ``±MAX_SCORE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TIME_BITS = 25
TIME_SPAN = 1 << TIME_BITS
MAX_CONTEST_SECONDS = TIME_SPAN - 1
SCORE_BITS = 27
MAX_SCORE = (1 << SCORE_BITS) - 1


class ScoreOutOfRange(ValueError):
    pass


def seconds_left(ends_at_epoch: int, reached_at_epoch: int) -> int:
    """Seconds from when the score was reached to the end, clamped into the tie-break field."""
    return max(0, min(TIME_SPAN - 1, ends_at_epoch - reached_at_epoch))


def compose(score: int, seconds_remaining: int) -> int:
    if not -MAX_SCORE <= score <= MAX_SCORE:
        raise ScoreOutOfRange(f"score {score} is outside ±{MAX_SCORE}")
    if not 0 <= seconds_remaining < TIME_SPAN:
        raise ScoreOutOfRange(f"tie-break {seconds_remaining} is outside [0, {TIME_SPAN})")
    return score * TIME_SPAN + seconds_remaining


def score_of(composite: float) -> int:
    """The score part of a composite (floor division keeps negative scores right)."""
    return int(composite) // TIME_SPAN


def score_floor(score: int) -> int:
    """The smallest composite carrying ``score``: ZCOUNT from here counts everyone at or above it."""
    return score * TIME_SPAN


@dataclass(frozen=True)
class Ranked:
    rank: int
    id: str
    score: int


def competition_ranks(rows: Sequence[tuple[str, int]], start: int = 0, first_rank: int | None = None) -> list[Ranked]:
    """Standard competition ranks ("1, 2, 2, 4") for rows already ordered best first.

    ``start`` is the zero-based position of the first row on the whole board; ``first_rank`` is that row's
    rank when it shares its score with rows above the slice (1 + how many score strictly more).
    """
    ranked: list[Ranked] = []
    previous_score: int | None = None
    previous_rank = 0
    for offset, (member, score) in enumerate(rows):
        if offset == 0:
            rank = first_rank if first_rank is not None else start + 1
        elif score == previous_score:
            rank = previous_rank
        else:
            rank = start + offset + 1
        ranked.append(Ranked(rank=rank, id=member, score=score))
        previous_score, previous_rank = score, rank
    return ranked


def gap_to_next_rank(scores_best_first: Iterable[int], own_score: int) -> int | None:
    """Points a rep needs to overtake the nearest score above theirs; None when nobody is above."""
    above = [s for s in scores_best_first if s > own_score]
    return (min(above) - own_score) if above else None
