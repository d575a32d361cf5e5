"""A phone's ``me`` message is composed as a ``msgspec.Struct`` and encoded straight from it: its frames must be
byte for byte what the dict the message was built as before gives, JSON and msgpack, for every shape (a rep
unranked, ranked with or without a target, with provisional points, scored as a percent of target)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from game.contests import Contest
from game.pacing import pace
from server.live.wire import encode
from server.services.boards import BoardSpec, BoardView, me_message
from server.services.diffs import Row
from server.services.standings import UNRANKED, Standing
from tests.support.hub_doubles import messages_in, org


def as_dict_was_built(
    spec: BoardSpec, view: BoardView, rep: str, standing: Standing, contest: Contest, now: datetime, recent: list[Row]
) -> dict[str, Any]:
    """The message as a dict, key by key, as the phones' frames were composed before."""
    message: dict[str, Any] = {
        "op": "me",
        "board": spec.board,
        "epoch": view.epoch,
        "seq": view.seq,
        "contest": contest.id,
        "rep": rep,
        "of": view.total,
    }
    if standing.rank is None:
        return {**message, "rank": None, "score": 0, "gap_to_next": None}
    rank, score, gap, provisional = standing
    target = contest.target_for(rep)
    if provisional is not None:
        message["provisional"] = provisional
    message["rank"], message["score"], message["gap_to_next"], message["target"] = rank, score, gap, target
    if target:
        points = score if contest.scoring != "percent_of_target" else score * target // 1000
        message["pace"] = pace(points, target, contest.starts_at, contest.ends_at, now).as_dict()
    else:
        message["pace"] = None
    message["recent"] = [row for row in recent if row.get("rep") == rep][:5]
    return message


def contests() -> list[Contest]:
    (plain,) = org("spring").contests.values()
    targeted = replace(plain, targets={"wang": 12_000}, default_target=5_000)
    return [plain, targeted, replace(targeted, scoring="percent_of_target")]


WINS: list[Row] = [
    {"rank": 1, "id": "d9", "rep": "wang", "team": "east", "score": 3000, "amount": "3000", "at": "2026-01-02T03:04"},
    {"rank": 2, "id": "d8", "rep": "zhao", "team": "west", "score": 1000, "amount": None, "at": "2026-01-02T03:03"},
    *({"rank": 3 + i, "id": f"w{i}", "rep": "wang", "score": 1, "amount": "1", "at": ""} for i in range(6)),
]
STANDINGS = [UNRANKED, Standing(1, 9000, None), Standing(7, 300, 25, 0), Standing(2, 1, 1, 40), Standing(3, 0, 7)]


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
@pytest.mark.parametrize("standing", STANDINGS, ids=lambda s: f"rank-{s.rank}-provisional-{s.provisional}")
def test_a_me_frame_is_byte_for_byte_the_message_built_as_a_dict(standing: Standing, binary: bool) -> None:
    now = datetime.now(UTC)
    spec, view = BoardSpec("me:spring", "me", "spring", "reps"), BoardView(3, 41, [], 10_001)
    for contest in contests():
        for rep in ("wang", "zhao", "nobody"):
            for at in (now, contest.starts_at - timedelta(days=1), contest.ends_at + timedelta(days=1)):
                composed = me_message(spec, view, rep, standing, contest, at, WINS)
                expected = as_dict_was_built(spec, view, rep, standing, contest, at, WINS)
                assert encode(composed, binary) == encode(expected, binary)
                assert messages_in(encode(composed, binary)) == [expected]
