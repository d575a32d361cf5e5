"""Prizes go to performance: nobody wins a rank prize with 0 points (or below its minimum), and a tie at a
prize's edge goes to whoever reached the score first, or is shared where the prize says so."""

from __future__ import annotations

from game.contests import Prize
from game.prizes import award, awards, winners
from game.ranking import Ranked
from server.notifications.messages import won_message

CHAMPION = Prize("¥5,000", rank_from=1, rank_to=1)


def board(*rows: tuple[str, int]) -> list[Ranked]:
    """Rows in board order (ties already ordered by who reached the score first), with competition ranks."""
    ranked, rank = [], 0
    for place, (member, score) in enumerate(rows, 1):
        rank = rank if ranked and ranked[-1].score == score else place
        ranked.append(Ranked(rank, member, score))
    return ranked


def test_with_everyone_at_zero_nobody_wins_the_champion_prize() -> None:
    zeros = board(*((f"r{i}", 0) for i in range(24)))
    given, empty = awards([CHAMPION, Prize("团队聚餐", rank_from=1, rank_to=1, board="teams")], "reps", zeros)
    assert given == []
    assert empty == [{"prize": "¥5,000", "board": "reps", "rank": [1, 1], "places": 1, "min_score": 1}]


def test_a_tie_goes_to_whoever_reached_the_score_first_and_says_so() -> None:
    rows = board(("early", 120), ("late", 120), ("third", 80))
    (won,), empty = award(CHAMPION, rows)
    assert won["id"] == "early" and won["rank"] == 1 and won["place"] == 1
    assert won["tie"] == "reached_first" and won["tied_with"] == ["late"]
    assert empty is None
    (second,) = winners(Prize("¥1,000", rank_from=2, rank_to=2), rows)
    assert second.id == "late"  # the place after the tie, not the next score


def test_a_shared_prize_goes_to_everyone_tied_at_its_rank() -> None:
    rows = board(("a", 120), ("b", 120), ("c", 80))
    given, _ = award(Prize("¥5,000", rank_from=1, rank_to=1, ties="share"), rows)
    assert [(w["id"], w["tie"], w["tied_with"]) for w in given] == [("a", "shared", ["b"]), ("b", "shared", ["a"])]


def test_a_minimum_keeps_low_scores_from_a_rank_prize() -> None:
    rows = board(("a", 300), ("b", 40), ("c", 0))
    given, empty = award(Prize("¥1,000", rank_from=1, rank_to=3, min_score=50), rows)
    assert [w["id"] for w in given] == ["a"]
    assert empty is not None and empty["places"] == 2 and empty["min_score"] == 50
    assert [w.id for w in winners(Prize("咖啡券", threshold=40), rows)] == ["a", "b"]  # its own minimum


def test_the_announcement_says_how_each_tie_was_settled() -> None:
    data = {
        "contest_name": "十二月销冠赛",
        "champion_name": "王芳",
        "champion_score": 120,
        "prizes": [
            {"prize": "¥5,000", "name": "王芳", "score": 120, "tie": "reached_first", "others": ["李雷"]},
            {"prize": "咖啡券", "name": "A", "score": 80, "tie": "shared", "others": ["B"]},
            {"prize": "咖啡券", "name": "B", "score": 80, "tie": "shared", "others": ["A"]},
        ],
        "unawarded": [{"prize": "¥1,000", "board": "reps", "rank": [2, 3], "places": 2, "min_score": 50}],
    }
    en = won_message(data, "en").lines
    assert "🎁 ¥5,000: 王芳 (tied with 李雷 on 120 points, reached it first)" in en
    assert "🎁 咖啡券: shared by A, B (tied on 80 points)" in en
    assert "🎁 ¥1,000: 2 place(s) not awarded (below the minimum of 50 points)" in en
    zh = won_message(data, "zh-CN").lines
    assert "🎁 ¥5,000：王芳（与 李雷 同为 120 分，先达到者得）" in zh and "🎁 咖啡券：A、B 并列共享（同为 80 分）" in zh
