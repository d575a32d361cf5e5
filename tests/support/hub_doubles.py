"""Stand-ins for the hub's edges, for testing its logic without sockets or Redis: a contest board kept in
memory (the store edge), a registry that never changes, and a screen's connection that records each write.
The broker's stand-in is ``tests/support/memory_broker.py``."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack

from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.ranking import competition_ranks
from server.services.boards import BoardSpec, BoardView, ScoresRead, contest_meta, core_rows
from server.services.registry import Snapshot
from server.services.standings import UNRANKED, Ranking, Standing

OPCODE_TEXT, OPCODE_BINARY = 1, 2


def org(contest_id: str = "spring") -> Snapshot:
    """Two teams, three reps (one opted out of public screens) and one running contest."""
    now = datetime.now(UTC)
    definition = {
        "id": contest_id,
        "name": "春季冲刺",
        "kind": "individual",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    contest = parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    directory = Directory(
        reps={
            "wang": Rep("wang", "王芳", "east"),
            "li": Rep("li", "李娜", "east", opted_out=True),
            "zhao": Rep("zhao", "赵磊", "west"),
        },
        teams={"east": Team("east", "华东战队"), "west": Team("west", "华西战队")},
    )
    return Snapshot(b"1", directory, {contest.id: contest})


class FixedRegistry:
    """The registry of an organisation that does not change during the test."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.invalidated = 0

    def cached(self) -> Snapshot:
        return self.snapshot

    async def current(self) -> Snapshot:
        return self.snapshot

    def invalidate(self) -> None:
        self.invalidated += 1


class MemoryBoards:
    """Contests' rep boards in memory, changed the way the engine's script changes them as far as the hub can
    tell: every change moves the board's seq on by one, and a won deal joins the contest's recent wins with
    the doorbell the script publishes (which the test rings). Only ``contest:<id>`` boards exist."""

    def __init__(self, snapshot: Snapshot, rows: int = 10, full_rows: int = 10_000) -> None:
        self.snapshot = snapshot
        self.rows = rows
        self.full_rows = full_rows  # what a ``full`` read (a me board's) takes, like the store's 10,000
        self.standing_reads: list[list[str]] = []  # the reps of each batched read below the rows
        self.score_reads: list[list[str]] = []  # the reps of each read of some reps' scores
        self.scores: dict[str, dict[str, int]] = {c: {} for c in snapshot.contests}
        self.seq: Counter[str] = Counter()
        self.epoch: dict[str, int] = dict.fromkeys(snapshot.contests, 1)
        self.wins: dict[str, list[dict[str, Any]]] = {c: [] for c in snapshot.contests}
        self.reads: Counter[str] = Counter()  # reads per board
        self.latency = 0.0  # seconds between taking a board and handing it over, as Redis's answer travels
        self.telling = False  # doorbells carry the rep's score and the board's size, as the engine's script rings
        self._events = 0

    async def read(self, spec: BoardSpec, snapshot: Snapshot, *, full: bool = False) -> BoardView | None:
        contest = snapshot.contests.get(spec.contest_id)
        if contest is None or spec.kind not in ("contest", "me", "feed") or spec.which != "reps":
            return None
        self.reads[spec.board] += 1
        if spec.kind == "feed":
            rows = [{"rank": i + 1, "id": b["event"].split(":", 1)[-1], "rep": b["rep"], "score": b["points"]}
                    for i, b in enumerate(self.wins[contest.id][:20])]  # fmt: skip
            return BoardView(self.epoch[contest.id], self.seq[contest.id], rows, len(rows))
        scores = self.ordered(contest.id)
        if spec.kind == "me":  # the whole board as the store reads it for phones: ids and scores
            ids, points = [rep for rep, _ in scores], [score for _, score in scores]
            ranking = Ranking(ids[: self.full_rows], points[: self.full_rows])
            return BoardView(self.epoch[contest.id], self.seq[contest.id], [], len(scores), ranking=ranking)
        ranked = competition_ranks(scores[: self.rows])
        rows = core_rows(ranked, "reps", snapshot, contest)
        view = BoardView(self.epoch[contest.id], self.seq[contest.id], rows, len(scores), contest_meta(contest))
        if self.latency:
            await asyncio.sleep(self.latency)  # what changes now is not in this view
        return view

    def ordered(self, contest_id: str) -> list[tuple[str, int]]:
        return sorted(self.scores[contest_id].items(), key=lambda item: (-item[1], item[0]))

    async def standings(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> dict[str, Standing]:
        """Reps below the rows read, as the store finds them: in one call, counted in ``standing_reads``."""
        self.standing_reads.append(sorted(reps))
        scores = self.scores[contest.id]
        found = {}
        for rep in reps:
            if rep not in scores:
                found[rep] = UNRANKED
                continue
            above = [s for s in scores.values() if s > scores[rep]]
            found[rep] = Standing(1 + len(above), scores[rep], min(above) - scores[rep] if above else None)
        return found

    async def scores_of(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> ScoresRead:
        """Some reps' scores with the board's seq and size, as the store reads them: counted in ``score_reads``."""
        self.score_reads.append(sorted(reps))
        scores = self.scores[contest.id]
        return ScoresRead(self.seq[contest.id], len(scores), {rep: scores.get(rep) for rep in reps})

    async def recent_wins(self, contest_id: str) -> list[dict[str, Any]]:
        return list(self.wins[contest_id])

    def win(self, contest_id: str, rep: str, points: int) -> bytes:
        """A won deal: the rep's points, the board's seq and recent wins change; returns the doorbell."""
        self._events += 1
        board = self.scores[contest_id]
        board[rep] = board.get(rep, 0) + points
        self.seq[contest_id] += 1
        bell = {
            "contest": contest_id,
            "epoch": self.epoch[contest_id],
            "seq": self.seq[contest_id],
            "rep": rep,
            "points": points,
            "event": f"api:deal-{self._events}",
            "type": "deal.won",
            "amount": str(points * 1000),
            "at": 1_700_000_000 + self._events,
        }
        if self.telling:
            bell.update(score=board[rep], size=len(board))
        self.wins[contest_id].insert(0, bell)
        del self.wins[contest_id][50:]
        return json.dumps(bell).encode()

    def rescore(self, contest_id: str) -> bytes:
        """The contest is rescored into a new epoch (its seq starts again); returns the doorbell."""
        self.epoch[contest_id] += 1
        self.seq[contest_id] = 1
        return json.dumps({"contest": contest_id, "epoch": self.epoch[contest_id], "type": "rescore"}).encode()


class RecordingLink:
    """A screen's connection that remembers each write and when it happened; it can back up like a TV on
    bad Wi-Fi (``ready`` false: the viewer must queue instead of writing)."""

    def __init__(self) -> None:
        self.ready = True
        self.writes: list[tuple[float, bytes]] = []
        self.closed: tuple[int, str] | None = None

    def write(self, data: bytes) -> None:
        assert self.ready, "wrote to a connection that could not take it"
        self.writes.append((asyncio.get_running_loop().time(), data))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.ready = False

    def messages(self, since: int = 0) -> list[list[dict[str, Any]]]:
        """The messages of each write from the ``since``-th on, one list per write."""
        return [messages_in(data) for _, data in self.writes[since:]]

    def times(self, since: int = 0) -> list[float]:
        return [at for at, _ in self.writes[since:]]


def messages_in(data: bytes) -> list[dict[str, Any]]:
    """The messages in the server frames of one write (unmasked: text frames of JSON, binary of msgpack)."""
    messages, offset = [], 0
    while offset < len(data):
        opcode, length, header = data[offset] & 0x0F, data[offset + 1] & 0x7F, 2
        if length == 126:
            length, header = int.from_bytes(data[offset + 2 : offset + 4], "big"), 4
        elif length == 127:
            length, header = int.from_bytes(data[offset + 2 : offset + 10], "big"), 10
        payload = data[offset + header : offset + header + length]
        assert opcode in (OPCODE_TEXT, OPCODE_BINARY), opcode
        messages.append(json.loads(payload) if opcode == OPCODE_TEXT else msgpack.unpackb(payload, raw=False))
        offset += header + length
    return messages
