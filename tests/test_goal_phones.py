"""The ``goals`` board's phones in memory: one read answers every followed rep, only a phone whose rep's figures
moved gets a frame, and a read slower than its tick (the sums' first build) does not hold the tick up: it goes on
by itself and wakes the board when it ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from typing import Any

from server.live.goal_phones import GoalPhones, Goals
from server.live.viewer import Viewer
from server.services.boards import BoardSpec
from server.services.registry import Snapshot
from tests.support.hub_doubles import RecordingLink

SPEC = BoardSpec("goals", "goals")


def _message(frame: bytes) -> dict[str, Any]:
    """A text frame's JSON (server frames are unmasked: a 2, 4 or 10 byte header)."""
    header = {126: 4, 127: 10}.get(frame[1], 2)
    message: dict[str, Any] = json.loads(frame[header:])
    return message


def _goal(actual: float) -> dict[str, Any]:
    return {"id": "g1", "name": "", "metric": "revenue", "period": "2026-12", "target": 100, "pace": {"actual": actual}}


def test_only_the_phones_whose_figures_moved_get_a_frame_and_a_slow_read_does_not_hold_the_tick() -> None:
    async def scenario() -> None:
        figures = {"wang": [_goal(10)], "li": [_goal(5)]}
        asked: list[list[str]] = []
        gate = asyncio.Event()
        gate.set()
        woken: list[bool] = []

        async def goals_of(reps: Collection[str]) -> dict[str, Goals]:
            asked.append(sorted(reps))
            await gate.wait()
            return {rep: figures[rep] for rep in reps}

        board = GoalPhones(goals_of=goals_of, wake=lambda: woken.append(True))
        wang, li = (Viewer(RecordingLink(), binary=False, public=False) for _ in range(2))
        board.add(wang, "wang")
        board.add(li, "li")
        snapshot = Snapshot()
        view = await board.refresh(None, SPEC, snapshot)  # type: ignore[arg-type]
        greeting = await board.greeting(None, wang, SPEC, view, snapshot)  # type: ignore[arg-type]
        assert _message(greeting)["goals"][0]["pace"]["actual"] == 10
        assert asked == [["li", "wang"]]  # one read for both reps
        await board.changed(SPEC, view, snapshot, every=False)  # li's first frame

        figures["wang"] = [_goal(40)]  # wang's deal: only wang's phone hears of it
        view = await board.refresh(None, SPEC, snapshot)  # type: ignore[arg-type]
        offers = await board.changed(SPEC, view, snapshot, every=False)
        assert [viewer for viewer, _ in offers] == [wang]
        assert _message(offers[0][1])["goals"][0]["pace"]["actual"] == 40

        gate.clear()  # a slow read: the tick goes on without it
        figures["li"] = [_goal(50)]
        seq = view.seq
        view = await asyncio.wait_for(board.refresh(None, SPEC, snapshot), 5)  # type: ignore[arg-type]
        assert view.seq == seq and not woken and await board.changed(SPEC, view, snapshot, every=False) == []
        gate.set()
        for _ in range(10):
            await asyncio.sleep(0)
        assert woken == [True]
        view = await board.refresh(None, SPEC, snapshot)  # type: ignore[arg-type]
        offers = await board.changed(SPEC, view, snapshot, every=False)
        assert [viewer for viewer, _ in offers] == [li]
        assert len(asked) == 3  # the woken tick took the slow read's answer instead of reading again

    asyncio.run(scenario())
