"""The hub's logic on its edges in memory — no sockets, no Redis: doorbells within a tick reach each screen in
one write, a screen that comes back gets one merged diff and the celebrations it missed (once), or a
snapshot when its history has a gap, a backed-up screen gets the latest board, and changes made while the
broker was away reach the screens when it is back. Per-variant frames are checked as pure functions.

The hub runs on simulated time (``tests/support/virtual_time.py``): a tick is exactly ``TICK``, so the tests
assert when each write happens, and nothing sleeps for real."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from game import keys
from server.live import frames, history
from server.live.frames import VARIANTS, Frames, compose
from server.live.hub import Hub
from server.live.viewer import Viewer
from server.services.boards import BoardSpec, BoardView, parse_board
from tests.support.hub_doubles import FixedRegistry, MemoryBoards, RecordingLink, messages_in, org
from tests.support.memory_broker import MemoryBroker
from tests.support.virtual_time import run_virtual

TICK = 0.2
CONTEST = "spring"
BOARD = f"contest:{CONTEST}"
DOORBELL = keys.doorbell_channel(CONTEST)


class Floor:
    """A hub on its edges in memory, and the screens watching it."""

    def __init__(self) -> None:
        self.snapshot = org(CONTEST)
        self.broker = MemoryBroker()
        self.boards = MemoryBoards(self.snapshot)
        self.hub = Hub(self.broker, self.boards, FixedRegistry(self.snapshot), tick_ms=int(TICK * 1000))

    async def screen(
        self, *, binary: bool = False, public: bool = False, epoch: int | None = None, seq: int | None = None
    ) -> tuple[Viewer, RecordingLink]:
        link = RecordingLink()
        viewer = Viewer(link, binary=binary, public=public, batch=self.hub.batch)
        assert await self.hub.subscribe(viewer, BOARD, epoch=epoch, seq=seq) is None
        return viewer, link

    def deal(self, rep: str, points: int) -> str:
        """A won deal rings the contest's doorbell; returns the event the celebration names."""
        bell = self.boards.win(CONTEST, rep, points)
        self.broker.ring(DOORBELL, bell)
        return str(json.loads(bell)["event"])

    async def board_now(self) -> dict[str, dict[str, Any]]:
        """The rows a screen subscribing now is sent, by id."""
        _, link = await self.screen()
        (greeting,) = link.messages()
        return {row["id"]: row for row in greeting[0]["rows"]}


def on_the_floor(scenario: Callable[[Floor], Awaitable[None]]) -> None:
    """Run ``scenario`` against a started hub on simulated time, a quiet second after it started, with
    one rep far ahead on the board."""

    async def run() -> None:
        floor = Floor()
        floor.boards.win(CONTEST, "zhao", 100)  # a clear leader before anyone watches: no lead changes unless asked
        await floor.hub.start()
        try:
            await asyncio.sleep(1.0)
            await scenario(floor)
        finally:
            await floor.hub.stop()
        assert floor.broker.closed

    run_virtual(run())


def ops(messages: list[dict[str, Any]]) -> list[str]:
    return [m["op"] for m in messages]


def apply(rows: dict[str, dict[str, Any]], message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A client's copy of a board after a snapshot or a diff, as ``web/static/tv.js`` keeps it."""
    if message["op"] == "snapshot":
        return {row["id"]: row for row in message["rows"]}
    updated = {row_id: row for row_id, row in rows.items() if row_id not in message["removed"]}
    updated.update({row["id"]: row for row in message["rows"]})
    return updated


# --- coalescing ---------------------------------------------------------------------------------


def test_doorbells_within_a_tick_reach_each_screen_in_one_write() -> None:
    """The first change after a quiet spell goes out at once; the changes of the following tick are merged
    into one diff, read once and written once per screen with their celebrations, at exactly one tick."""

    async def scenario(floor: Floor) -> None:
        screens = [
            await floor.screen(),
            await floor.screen(),
            await floor.screen(public=True),
            await floor.screen(binary=True),
        ]
        loop = asyncio.get_running_loop()
        reads = floor.boards.reads[BOARD]
        started = loop.time()
        first = floor.deal("wang", 5)
        events = []
        for rep, points in (("li", 3), ("wang", 2), ("zhao", 4)):
            await asyncio.sleep(TICK / 4)
            events.append(floor.deal(rep, points))
        await asyncio.sleep(5 * TICK)

        assert floor.boards.reads[BOARD] == reads + 2  # one read per tick, however many screens watch
        for _, link in screens:
            assert link.times(1) == [pytest.approx(started, abs=1e-9), pytest.approx(started + TICK, abs=1e-9)]
            leading, merged = link.messages(1)
            assert ops(leading) == ["diff", "celebrate"] and leading[1]["event"] == first
            assert ops(merged) == ["diff", "celebrate", "celebrate", "celebrate"]
            diff = merged[0]
            assert diff["seq"] == floor.boards.seq[CONTEST]
            assert {row["id"]: row["score"] for row in diff["rows"]} == {"wang": 7, "zhao": 104, "li": 3}
            assert [m["event"] for m in merged[1:]] == events
        internal, same, public, binary = (link for _, link in screens)
        assert internal.writes[1:] == same.writes[1:]  # one encoding per variant, the same bytes for each screen
        assert binary.messages(1) == internal.messages(1)  # msgpack says what JSON says
        names = {row["id"]: row["name"] for row in public.messages(2)[0][0]["rows"]}
        assert names["li"] == floor.snapshot.directory.public_name("li") != "李娜"  # she opted out of TVs
        assert {row["id"]: row["name"] for row in internal.messages(2)[0][0]["rows"]}["li"] == "李娜"

    on_the_floor(scenario)


# --- recovery -----------------------------------------------------------------------------------


def test_a_screen_that_comes_back_gets_one_merged_diff_then_the_celebrations_it_missed_once() -> None:
    async def scenario(floor: Floor) -> None:
        viewer, link = await floor.screen()
        floor.deal("wang", 5)
        await asyncio.sleep(TICK)
        copy: dict[str, dict[str, Any]] = {}
        for write in link.messages():
            copy = apply(copy, write[0])
        last_seen = link.messages()[-1][0]
        floor.hub.drop(viewer)  # the TV's Wi-Fi drops

        missed = []
        for rep, points in (("li", 3), ("zhao", 6), ("li", 4)):  # a tick each: three spans in the history
            missed.append(floor.deal(rep, points))
            await asyncio.sleep(TICK)
        _, back = await floor.screen(epoch=last_seen["epoch"], seq=last_seen["seq"])

        diff, *celebrations = [message for write in back.messages() for message in write]
        assert diff["op"] == "diff" and diff["recovered"] is True
        assert diff["seq"] == floor.boards.seq[CONTEST] == last_seen["seq"] + 3
        assert apply(copy, diff) == await floor.board_now()  # one diff brings the copy up to date
        assert ops(celebrations) == ["celebrate"] * 3
        assert [c["event"] for c in celebrations] == missed  # oldest first; not the one it saw

        seen = len(back.writes)
        latest = floor.deal("wang", 1)
        await asyncio.sleep(TICK)
        (tick,) = back.messages(seen)
        assert ops(tick) == ["diff", "celebrate"] and tick[1]["event"] == latest  # nothing dealt twice

    on_the_floor(scenario)


def forget_history(floor: Floor) -> None:
    floor.broker.forget(history.key_for(parse_spec(BOARD), 1))


def rescore(floor: Floor) -> None:
    floor.broker.ring(DOORBELL, floor.boards.rescore(CONTEST))


@pytest.mark.parametrize("gap", [forget_history, rescore], ids=["history expired", "rescored"])
def test_a_screen_whose_history_has_a_gap_gets_a_snapshot_marked_not_recovered(gap: Callable[[Floor], None]) -> None:
    async def scenario(floor: Floor) -> None:
        viewer, link = await floor.screen()
        last_seen = link.messages()[-1][0]
        floor.hub.drop(viewer)
        floor.deal("li", 3)
        await asyncio.sleep(TICK)
        floor.deal("wang", 2)
        await asyncio.sleep(TICK)
        gap(floor)
        await asyncio.sleep(TICK)

        _, back = await floor.screen(epoch=last_seen["epoch"], seq=last_seen["seq"])
        await asyncio.sleep(TICK)
        ((snapshot,),) = back.messages()  # the board, and no celebrations: the screen starts afresh
        assert snapshot["op"] == "snapshot" and snapshot["recovered"] is False
        assert (snapshot["epoch"], snapshot["seq"]) == (floor.boards.epoch[CONTEST], floor.boards.seq[CONTEST])
        assert apply({}, snapshot) == await floor.board_now()

    on_the_floor(scenario)


# --- bounded outboxes ---------------------------------------------------------------------------


def test_a_backed_up_screen_gets_the_latest_board_once_it_drains() -> None:
    """A screen whose connection backs up holds one frame for the board, whatever number of ticks pass: when
    it drains it gets the whole board as it is now (a diff building on unsent diffs would be wrong), then
    the celebrations it was offered meanwhile."""

    async def scenario(floor: Floor) -> None:
        _, steady = await floor.screen()
        slow, backed_up = await floor.screen()
        backed_up.ready = False
        events = []
        for rep, points in (("wang", 5), ("li", 3), ("zhao", 6), ("li", 4), ("wang", 1)):
            events.append(floor.deal(rep, points))
            await asyncio.sleep(TICK)
        assert len(steady.writes) == 1 + 5  # the greeting, then a write per tick
        assert len(backed_up.writes) == 1  # only the greeting went through

        backed_up.ready = True
        slow.drain()
        ((board, *celebrations),) = backed_up.messages(1)
        assert board["op"] == "snapshot" and board["seq"] == floor.boards.seq[CONTEST]
        assert apply({}, board) == await floor.board_now()
        assert [c["event"] for c in celebrations] == events
        assert backed_up.closed is None

    on_the_floor(scenario)


def test_a_deal_heard_while_the_board_is_being_read_is_celebrated_with_the_update_that_shows_it() -> None:
    """A doorbell heard during a board read may be of a deal the read missed: its celebration waits for the
    next tick's update, so a screen never celebrates a row before the row has moved."""

    async def scenario(floor: Floor) -> None:
        _, link = await floor.screen()
        floor.boards.latency = TICK / 2
        first = floor.deal("wang", 5)
        await asyncio.sleep(TICK / 4)  # the hub is reading the board for the first deal
        second = floor.deal("li", 3)
        await asyncio.sleep(4 * TICK)
        shown, seen = {}, {}
        for tick in link.messages(1):
            for message in tick:
                if message["op"] == "diff":
                    shown.update({row["id"]: row["score"] for row in message["rows"]})
                elif message["op"] == "celebrate":
                    seen[message["event"]] = dict(shown)
        assert seen == {first: {"wang": 5}, second: {"wang": 5, "li": 3}}  # each after the rows it celebrates

    on_the_floor(scenario)


def test_a_new_leader_is_celebrated_with_the_board_update_on_each_screen() -> None:
    async def scenario(floor: Floor) -> None:
        _, internal = await floor.screen()
        _, public = await floor.screen(public=True)
        deal = floor.deal("li", 150)
        await asyncio.sleep(TICK)
        for link, name in ((internal, "李娜"), (public, floor.snapshot.directory.public_name("li"))):
            (tick,) = link.messages(1)
            moments = {m.get("kind"): m for m in tick if m["op"] == "celebrate"}
            assert ops(tick) == ["diff", "celebrate", "celebrate"] and moments["deal"]["event"] == deal  # rows first
            lead = moments["lead_change"]
            assert (lead["rep"], lead["name"], lead["previous"], lead["points"]) == ("li", name, "zhao", 150)
            assert lead["board"] == BOARD and lead["seq"] == floor.boards.seq[CONTEST]

    on_the_floor(scenario)


def test_a_rescore_sends_every_screen_the_new_board_and_says_why() -> None:
    async def scenario(floor: Floor) -> None:
        screens = [await floor.screen(), await floor.screen(binary=True)]
        rescore(floor)
        await asyncio.sleep(TICK)
        for _, link in screens:
            ((board, notice),) = link.messages(1)
            assert board["op"] == "snapshot" and board["epoch"] == 2 and "recovered" not in board
            assert notice == {"op": "epoch", "board": BOARD, "epoch": 2}

    on_the_floor(scenario)


# --- the broker's connection --------------------------------------------------------------------


def test_changes_made_while_the_broker_was_away_reach_the_screens_when_it_is_back() -> None:
    async def scenario(floor: Floor) -> None:
        _, link = await floor.screen()
        floor.broker.cut()
        floor.deal("wang", 5)  # its doorbell is lost
        await asyncio.sleep(5 * TICK)
        assert len(link.writes) == 1

        back = asyncio.get_running_loop().time()
        floor.broker.restore()
        await asyncio.sleep(TICK)
        assert link.times(1) == [pytest.approx(back, abs=1e-9)]
        ((diff,),) = link.messages(1)  # the board catches up; the lost doorbell's celebration stays lost
        assert diff["op"] == "diff" and diff["seq"] == floor.boards.seq[CONTEST]

    on_the_floor(scenario)


# --- frames, pure -------------------------------------------------------------------------------


def test_a_message_is_built_once_per_audience_and_encoded_once_per_variant() -> None:
    built: list[bool] = []

    def build(public: bool) -> dict[str, Any]:
        built.append(public)
        return {"op": "celebrate", "name": "李." if public else "李娜"}

    shared = Frames(build)
    for _ in range(3):
        for variant in VARIANTS:
            assert shared[variant] is shared[variant]
    assert sorted(built) == [False, True]
    assert messages_in(shared[(False, True)]) == [{"op": "celebrate", "name": "李."}]
    assert messages_in(shared[(True, False)]) == [{"op": "celebrate", "name": "李娜"}]  # msgpack
    assert shared[(True, False)][0] & 0x0F == 2 and shared[(False, False)][0] & 0x0F == 1
    wanted = compose(build, [(True, True)])
    assert list(wanted) == [(True, True)] and messages_in(wanted[(True, True)])[0]["name"] == "李."


def test_notices_name_reps_as_each_audience_may_see_them() -> None:
    snapshot = org(CONTEST)
    directory = snapshot.directory
    private, public = directory.reps["li"].name, directory.public_name("li")
    bell = {"type": "deal.won", "rep": "li", "points": 30, "seq": 7, "event": "api:1", "amount": "30000"}
    deal = frames.celebration(CONTEST, bell, directory)
    assert deal is not None
    assert (deal(False)["name"], deal(True)["name"]) == (private, public)
    assert deal(True)["team"] == "east" and deal(True)["board"] == BOARD
    assert frames.celebration(CONTEST, {**bell, "points": 0}, directory) is None  # a deal worth no points
    assert frames.celebration(CONTEST, {**bell, "type": "call.logged"}, directory) is None

    award = frames.badge({"rep": "li", "badge": "nope", "action": "awarded"}, snapshot)
    assert (award(False)["name"], award(True)["name"], award(True)["title"]) == (private, public, None)

    spec = parse_spec(BOARD)
    before = BoardView(1, 4, [{"rank": 1, "id": "wang", "score": 5}, {"rank": 2, "id": "li", "score": 3}])
    after = BoardView(1, 5, [{"rank": 1, "id": "li", "score": 8}, {"rank": 2, "id": "wang", "score": 5}])
    lead = frames.lead_change(spec, before, after, directory)
    assert lead is not None and (lead(False)["name"], lead(True)["name"]) == (private, public)
    assert lead(True)["previous"] == "wang" and lead(True)["seq"] == 5
    assert frames.lead_change(spec, after, after, directory) is None  # the same leader
    teams = parse_spec(f"{BOARD}:teams")
    east_ahead = BoardView(1, 5, [{"rank": 1, "id": "east", "score": 9}, {"rank": 2, "id": "west", "score": 2}])
    west_ahead = BoardView(1, 6, [{"rank": 1, "id": "west", "score": 11}, {"rank": 2, "id": "east", "score": 9}])
    team_lead = frames.lead_change(teams, east_ahead, west_ahead, directory)
    assert team_lead is not None and team_lead(True)["name"] == team_lead(False)["name"] == "华西战队"
    assert team_lead(True)["team"] == "west"


def parse_spec(board: str) -> BoardSpec:
    spec = parse_board(board)
    assert spec is not None
    return spec
