"""Composite scores stay exact, ties go to who reached the score first, ranks are competition ranks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.ranking import (
    MAX_SCORE,
    TIME_SPAN,
    ScoreOutOfRange,
    competition_ranks,
    compose,
    gap_to_next_rank,
    score_floor,
    score_of,
    seconds_left,
)

scores = st.integers(min_value=-MAX_SCORE, max_value=MAX_SCORE)
lefts = st.integers(min_value=0, max_value=TIME_SPAN - 1)


@given(scores, lefts)
def test_composite_is_exact_in_a_double_and_decodes_back(score: int, left: int) -> None:
    composite = compose(score, left)
    assert abs(composite) < 2**53
    assert float(composite) == composite  # no precision lost in a Redis sorted-set score
    assert int(float(composite)) == composite
    assert score_of(float(composite)) == score


@given(scores, lefts, scores, lefts)
def test_order_is_score_first_then_earlier_arrival(s1: int, l1: int, s2: int, l2: int) -> None:
    a, b = float(compose(s1, l1)), float(compose(s2, l2))
    if s1 != s2:
        assert (a > b) == (s1 > s2)
    else:
        assert (a > b) == (l1 > l2)  # more time left = reached earlier = ranks higher


@given(scores, lefts)
def test_score_floor_bounds_every_composite_of_that_score(score: int, left: int) -> None:
    assert score_floor(score) <= compose(score, left) < score_floor(score + 1)


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ScoreOutOfRange):
        compose(MAX_SCORE + 1, 0)
    with pytest.raises(ScoreOutOfRange):
        compose(0, TIME_SPAN)


def test_seconds_left_is_clamped() -> None:
    assert seconds_left(100, 40) == 60
    assert seconds_left(100, 140) == 0
    assert seconds_left(TIME_SPAN * 3, 0) == TIME_SPAN - 1


def test_competition_ranks_share_a_rank_and_skip_the_next() -> None:
    rows = [("a", 9), ("b", 5), ("c", 5), ("d", 3)]
    assert [(r.id, r.rank) for r in competition_ranks(rows)] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]


def test_competition_ranks_mid_board_start_from_the_given_rank() -> None:
    rows = [("c", 5), ("d", 3), ("e", 3)]
    ranked = competition_ranks(rows, start=2, first_rank=2)  # "b" above also has 5
    assert [(r.id, r.rank) for r in ranked] == [("c", 2), ("d", 4), ("e", 4)]


def test_gap_to_next_rank() -> None:
    assert gap_to_next_rank([90, 50, 42, 30], 42) == 8
    assert gap_to_next_rank([90, 50], 90) is None
