"""Phones on ``me:`` boards, on the hub's edges in memory (no sockets, no Redis), on simulated time: one read
and one pass per board per tick for every phone, a frame only for a phone whose own view changed, one
encoding per rep and variant, reps below the rows read ranked by one batched read per tick, and composing
thousands of phones leaves the loop to the other screens between slices."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from game import keys
from server.live import phones
from server.live.hub import Hub
from server.live.phones import Phones
from server.live.ranking import LiveRanking
from server.live.viewer import Viewer
from server.services.boards import BoardSpec, BoardView, MeMessage
from server.services.standings import Ranking, Standing
from tests.support.hub_doubles import FixedRegistry, MemoryBoards, RecordingLink, messages_in, org
from tests.support.memory_broker import MemoryBroker
from tests.support.virtual_time import run_virtual

TICK = 0.2
CONTEST = "spring"
ME = f"me:{CONTEST}"
DOORBELL = keys.doorbell_channel(CONTEST)


class Floor:
    """A hub on its edges in memory with a board of reps ``r00``… (scores 10 apart) and phones following them."""

    def __init__(self, reps: int, full_rows: int = 10_000) -> None:
        self.snapshot = org(CONTEST)
        self.broker = MemoryBroker()
        self.boards = MemoryBoards(self.snapshot, full_rows=full_rows)
        self.hub = Hub(self.broker, self.boards, FixedRegistry(self.snapshot), tick_ms=int(TICK * 1000))
        for index in range(reps):
            self.boards.scores[CONTEST][f"r{index:02d}"] = 10 * (reps - index)

    async def phone(self, rep: str, *, binary: bool = False) -> tuple[Viewer, RecordingLink]:
        link = RecordingLink()
        viewer = Viewer(link, binary=binary, public=False, batch=self.hub.batch)
        assert await self.hub.subscribe(viewer, ME, rep=rep) is None
        return viewer, link

    async def deal(self, rep: str, points: int) -> None:
        """A won deal rings the doorbell; returns once its tick has gone out."""
        self.broker.ring(DOORBELL, self.boards.win(CONTEST, rep, points))
        await asyncio.sleep(3 * TICK)


def me_frames(link: RecordingLink, since: int = 0) -> list[dict[str, Any]]:
    return [m for write in link.messages(since) for m in write if m["op"] == "me"]


def on_the_floor(floor: Floor, scenario: Callable[[Floor], Awaitable[None]]) -> None:
    """Run ``scenario`` against the floor's hub, started a quiet second before, on simulated time."""

    async def run() -> None:
        async with running(floor.hub):
            await asyncio.sleep(1.0)
            await scenario(floor)

    run_virtual(run())


@contextlib.asynccontextmanager
async def running(hub: Hub) -> AsyncIterator[Hub]:
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


def test_a_phone_gets_a_frame_only_when_its_own_view_changed() -> None:
    """A deal low on the board leaves the leader's phone alone; the dealer's phone and the phones of the reps
    it passed get their new rank, gap and wins."""

    async def scenario(floor: Floor) -> None:
        (_, top), (_, middle), (_, low), (_, bottom) = [await floor.phone(r) for r in ("r00", "r05", "r08", "r09")]
        (greeting,) = me_frames(bottom)
        assert (greeting["rank"], greeting["score"], greeting["gap_to_next"], greeting["of"]) == (10, 10, 10, 10)
        sent = {name: len(link.writes) for name, link in (("top", top), ("middle", middle), ("low", low))}
        await floor.deal("r09", 25)  # 10 → 35: passes r08 (20) and r07 (30)
        assert me_frames(top, sent["top"]) == [] and me_frames(middle, sent["middle"]) == []
        (mine,) = me_frames(bottom, 1)
        assert (mine["rank"], mine["score"], mine["gap_to_next"]) == (8, 35, 5)
        assert [row["rep"] for row in mine["recent"]] == ["r09"]
        (passed,) = me_frames(low, sent["low"])
        assert (passed["rank"], passed["score"], passed["gap_to_next"]) == (10, 20, 10)
        before = len(bottom.writes)
        await floor.deal("r00", 5)  # the leader pulls away: only the leader's view changes
        assert me_frames(bottom, before) == [] and me_frames(middle, sent["middle"]) == []
        assert me_frames(top)[-1]["score"] == 105

    on_the_floor(Floor(reps=10), scenario)


def test_phones_with_the_same_view_share_one_encoding_per_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[str] = []
    encode = phones.encode

    def counting(message: MeMessage, binary: bool) -> bytes:
        encoded.append(f"{message.rep}/{binary}")
        return encode(message, binary)

    monkeypatch.setattr(phones, "encode", counting)

    async def scenario(floor: Floor) -> None:
        same = [await floor.phone("r03") for _ in range(3)] + [await floor.phone("r03", binary=True)]
        encoded.clear()
        await floor.deal("r03", 15)
        assert sorted(encoded) == ["r03/False", "r03/True"]  # four phones, two encodings
        frames = [me_frames(link, 1) for _, link in same]
        assert frames[0] == frames[1] == frames[2] == frames[3] and frames[0][0]["rank"] == 3
        text = [data for _, link in same[:3] for _, data in link.writes[1:]]
        assert text[0] == text[1] == text[2]

    on_the_floor(Floor(reps=6), scenario)


def test_reps_below_the_rows_read_are_ranked_by_one_batched_read_per_tick() -> None:
    """The hub reads the first 5 rows; the phones of the 8th and 12th reps still see their rank and gap, from
    one read for both of them per tick, not one per phone."""

    async def scenario(floor: Floor) -> None:
        (_, eighth), (_, twelfth), (_, second) = [await floor.phone(r) for r in ("r07", "r11", "r01")]
        first = me_frames(twelfth)[0]
        assert (first["rank"], first["score"], first["gap_to_next"], first["of"]) == (12, 30, 10, 14)
        floor.boards.standing_reads.clear()
        await floor.deal("r13", 25)  # 10 → 35: passes the 12th rep (30)
        assert floor.boards.standing_reads == [["r07", "r11"]]
        (moved,) = me_frames(twelfth, 1)
        assert (moved["rank"], moved["score"], moved["gap_to_next"]) == (13, 30, 5)
        assert me_frames(eighth, 1) == [] and me_frames(second, 1) == []

    on_the_floor(Floor(reps=14, full_rows=5), scenario)


def test_composing_thousands_of_phones_yields_to_the_loop_in_slices() -> None:
    reps = 3 * phones.SLICE

    async def run() -> None:
        snapshot = org(CONTEST)
        ranking = Ranking([f"r{i}" for i in range(reps)], [reps - i for i in range(reps)])
        view = BoardView(1, 1, [], reps, ranking=ranking)
        spec = BoardSpec(ME, "me", CONTEST, "reps")
        board = Phones()
        for i in range(reps):
            board.add(Viewer(RecordingLink(), binary=False, public=False), f"r{i}")
        board.load(view)  # a full read: every phone's view may have changed
        turns = 0

        async def other_screens() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(other_screens())
        await asyncio.sleep(0)
        offers = await board.changed(spec, view, snapshot, every=False)
        during = turns
        other.cancel()
        assert len(offers) == reps and messages_in(offers[-1][1])[0]["rank"] == reps
        assert during >= reps * phones.COMPOSE_COST // phones.SLICE  # the loop ran between slices
        assert await board.changed(spec, view, snapshot, every=False) == []  # nothing changed: nothing to send

    run_virtual(run())


def test_a_standing_held_in_memory_follows_moves_as_the_whole_board_ranks_them() -> None:
    """Competition ranks and the gap to the nearest higher score, ties included, before and after moves."""
    ids = ["a", "b", "c", "d", "e", "f"]
    ranking = LiveRanking(1, 1, 6, Ranking(ids, [9, 7, 7, 7, 4, 4], {"c": 2}))
    assert {rep: ranking.standing(rep) for rep in ids} == {
        "a": Standing(1, 9, None, 0),
        "b": Standing(2, 7, 2, 0),
        "c": Standing(2, 7, 2, 2),
        "d": Standing(2, 7, 2, 0),
        "e": Standing(5, 4, 3, 0),
        "f": Standing(5, 4, 3, 0),
    }
    assert ranking.standing("zz") is None
    assert ranking.move("e", 9, followed=False) == (4, 9)  # level with the leader
    assert ranking.move("zz", 1, followed=False) == (None, 1)  # a new rep joins a board held whole
    assert [ranking.standing(rep) for rep in ("a", "e", "b", "f", "zz")] == [
        Standing(1, 9, None, 0),
        Standing(1, 9, None, 0),
        Standing(3, 7, 2, 0),
        Standing(6, 4, 3, 0),
        Standing(7, 1, 3, 0),
    ]


def expected_standing(floor: Floor, rep: str) -> tuple[int | None, int, int | None]:
    """A rep's rank, score and gap as the whole board says (competition ranks, the nearest higher score)."""
    scores = floor.boards.scores[CONTEST]
    if rep not in scores:
        return None, 0, None
    above = [score for score in scores.values() if score > scores[rep]]
    return 1 + len(above), scores[rep], (min(above) - scores[rep]) if above else None


def shown(link: RecordingLink) -> tuple[int | None, int, int | None]:
    last = me_frames(link)[-1]
    return last["rank"], last["score"], last["gap_to_next"]


def own_wins_shown(link: RecordingLink) -> list[str]:
    return [row["id"] for row in me_frames(link)[-1].get("recent", [])]


def own_wins_listed(floor: Floor, rep: str) -> list[str]:
    """A rep's own wins among the contest's latest 20 (what its phone lists), newest first."""
    latest = floor.boards.wins[CONTEST][:20]
    return [bell["event"].split(":", 1)[-1] for bell in latest if bell["rep"] == rep][:5]


def test_a_tick_reads_only_the_scores_of_the_reps_its_doorbells_named() -> None:
    """Between full reads the board held in memory moves on by the reps the won deals named: one read of
    their scores per tick, never the whole board."""

    async def scenario(floor: Floor) -> None:
        phones = {rep: (await floor.phone(rep))[1] for rep in ("r00", "r03", "r07")}
        full_reads = floor.boards.reads[ME]
        floor.boards.score_reads.clear()
        await floor.deal("r07", 35)  # 30 → 65: passes r04 (60) and r05, r06
        for rep in ("r03", "r05"):  # two deals in one tick: one read for both
            floor.broker.ring(DOORBELL, floor.boards.win(CONTEST, rep, 1))
        await asyncio.sleep(3 * TICK)
        assert floor.boards.reads[ME] == full_reads
        assert floor.boards.score_reads == [["r07"], ["r03", "r05"]]
        assert {rep: shown(link) for rep, link in phones.items()} == {
            rep: expected_standing(floor, rep) for rep in phones
        }

    on_the_floor(Floor(reps=10), scenario)


def test_doorbells_that_tell_the_scores_move_the_phones_without_a_read() -> None:
    """The engine's doorbell of a won deal carries the rep's score and the board's size: a tick whose
    doorbells tell every change since the board held reads nothing; after a change with no doorbell of its
    own (its seq skipped) the next tick reads the scores, as when doorbells only name the reps."""

    async def scenario(floor: Floor) -> None:
        floor.boards.telling = True
        phones = {rep: (await floor.phone(rep))[1] for rep in ("r00", "r03", "r07")}
        full_reads = floor.boards.reads[ME]
        floor.boards.score_reads.clear()
        await floor.deal("r07", 35)  # 30 → 65: passes r04 (60) and r05, r06
        for rep in ("r03", "r05"):
            floor.broker.ring(DOORBELL, floor.boards.win(CONTEST, rep, 1))
        await asyncio.sleep(3 * TICK)
        assert (floor.boards.reads[ME], floor.boards.score_reads) == (full_reads, [])
        assert {rep: shown(link) for rep, link in phones.items()} == {
            rep: expected_standing(floor, rep) for rep in phones
        }
        floor.boards.win(CONTEST, "r00", 5)  # a change whose doorbell never rings: the board's seq skips one
        await floor.deal("r03", 50)
        assert floor.boards.score_reads == [["r03"]]  # then the gap, as without scores told (a full read)

    on_the_floor(Floor(reps=10), scenario)


@pytest.mark.parametrize("telling", [False, True], ids=["doorbells-name-reps", "doorbells-tell-scores"])
@pytest.mark.parametrize("held", [10_000, 12], ids=["whole-board", "top-12-held"])
def test_every_phone_shows_what_the_whole_board_says_after_any_deals(held: int, telling: bool) -> None:
    """Random deals, one or several a tick, some by reps new to the board, ties included: after each tick
    every phone shows the rank, score and gap the whole board gives its rep, whether its rep is held in
    memory or below the reps held, and whether the doorbells tell the scores or only name the reps."""
    rng = random.Random(18)

    async def scenario(floor: Floor) -> None:
        floor.boards.telling = telling
        reps = [*(f"r{index:02d}" for index in range(30)), "new1", "new2"]
        phones = {rep: (await floor.phone(rep))[1] for rep in [*reps[::2], "new1"]}
        for _ in range(40):
            for _ in range(rng.choice((1, 1, 2, 4))):
                floor.broker.ring(DOORBELL, floor.boards.win(CONTEST, rng.choice(reps), rng.choice((5, 10, 20, 70))))
            await asyncio.sleep(3 * TICK)
            assert {rep: shown(link) for rep, link in phones.items()} == {
                rep: expected_standing(floor, rep) for rep in phones
            }
            ranked = {rep: link for rep, link in phones.items() if me_frames(link)[-1]["rank"] is not None}
            assert {rep: own_wins_shown(link) for rep, link in ranked.items()} == {
                rep: own_wins_listed(floor, rep) for rep in ranked
            }
        assert floor.boards.reads[ME] <= 2  # the first read, and a second when a new rep joined a held board

    on_the_floor(Floor(reps=30, full_rows=held), scenario)


def test_a_change_that_is_not_a_won_deal_reads_the_board_in_full() -> None:
    """A reversal's doorbell does not say whose score fell in every case (an update moves a deal between
    reps): the next tick reads the whole board."""

    async def scenario(floor: Floor) -> None:
        phones = {rep: (await floor.phone(rep))[1] for rep in ("r02", "r05")}
        full_reads = floor.boards.reads[ME]
        floor.boards.scores[CONTEST]["r02"] -= 45  # 80 → 35: below r05 (50)
        floor.boards.seq[CONTEST] += 1
        bell = {"contest": CONTEST, "epoch": 1, "seq": floor.boards.seq[CONTEST], "type": "deal.updated"}
        floor.broker.ring(DOORBELL, json.dumps(bell).encode())
        await asyncio.sleep(3 * TICK)
        assert floor.boards.reads[ME] == full_reads + 1
        assert {rep: shown(link) for rep, link in phones.items()} == {
            "r02": (7, 35, 5),
            "r05": expected_standing(floor, "r05"),
        }

    on_the_floor(Floor(reps=10), scenario)


def test_a_change_whose_doorbell_never_came_is_read_in_full_within_seconds() -> None:
    """The board's seq tells the hub a change went by unheard (a doorbell lost): within ``GAP_SECONDS`` the
    board is read in full and the phone shows it."""

    async def scenario(floor: Floor) -> None:
        _, link = await floor.phone("r04")
        floor.boards.win(CONTEST, "r09", 100)  # 10 → 110: first, past r04; its doorbell is lost
        await floor.deal("r08", 1)  # heard: the seq read with it is one ahead of the doorbells
        assert shown(link) == (5, 60, 10)  # not yet
        await asyncio.sleep(phones.GAP_SECONDS + 3 * TICK)
        floor.broker.ring(DOORBELL, floor.boards.win(CONTEST, "r08", 1))
        await asyncio.sleep(3 * TICK)
        assert shown(link) == (6, 60, 10) == expected_standing(floor, "r04")

    on_the_floor(Floor(reps=10), scenario)
