"""The per-process websocket hub: doorbells in, coalesced board frames out.

One pub/sub connection per process listens to the doorbells of the contests that local viewers watch.
A doorbell marks the contest's boards dirty; the flusher reads each dirty board **once**, encodes it
**once** per variant (json/msgpack × internal/public names) and hands the same bytes to every viewer.
The first change after a quiet period goes out at once (leading edge); changes during the following
``tick`` are merged into the next frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
from redis.asyncio import Redis
from redis.exceptions import RedisError

from game import keys
from game.store import Store
from server.registry import Registry, Snapshot
from server.viewer import Frame, Viewer

log = logging.getLogger("arena.hub")

Variant = tuple[bool, bool]
VARIANTS: tuple[Variant, ...] = ((False, False), (False, True), (True, False), (True, True))
MAX_PENDING_CELEBRATIONS = 20  # per contest per tick; a burst beyond this is summarised by the board itself


def encode(message: dict[str, Any], binary: bool) -> Frame:
    if binary:
        return msgpack.packb(message)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def parse_board(board: str) -> tuple[str, str] | None:
    """``contest:<id>`` → (id, "reps"); ``contest:<id>:teams`` → (id, "teams");
    ``contest:<id>:div:<division>`` → (id, "div:<division>")."""
    parts = board.split(":")
    if len(parts) < 2 or parts[0] != "contest" or not parts[1]:
        return None
    if len(parts) == 2:
        return parts[1], "reps"
    if len(parts) == 3 and parts[2] == "teams":
        return parts[1], "teams"
    if len(parts) == 4 and parts[2] == "div" and parts[3]:
        return parts[1], f"div:{parts[3]}"
    return None


@dataclass
class BoardState:
    viewers: set[Viewer] = field(default_factory=set)
    frames: dict[Variant, Frame] = field(default_factory=dict)
    seq: int = -1
    epoch: int = 0


class Hub:
    def __init__(self, redis: Redis, store: Store, registry: Registry, *, tick_ms: int, board_rows: int) -> None:
        self.redis = redis
        self.store = store
        self.registry = registry
        self.tick = tick_ms / 1000
        self.board_rows = board_rows
        self.boards: dict[str, BoardState] = {}
        self.contest_viewers: dict[str, set[Viewer]] = defaultdict(set)
        self._dirty: set[str] = set()
        self._celebrations: dict[str, list[dict[Variant, Frame]]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub = redis.pubsub()
        self._channels: set[str] = set()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listen"),
            asyncio.create_task(self._flush_loop(), name="hub-flush"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()

    # --- viewers -------------------------------------------------------------------------------

    async def subscribe(self, viewer: Viewer, board: str) -> str | None:
        """Add a viewer to a board and queue its snapshot; returns an error text when impossible."""
        parsed = parse_board(board)
        if parsed is None:
            return f"unknown board {board!r}: use contest:<id> or contest:<id>:teams"
        contest_id, _ = parsed
        snapshot = await self.registry.current()
        if contest_id not in snapshot.contests:
            return f"no contest {contest_id!r}"
        state = self.boards.setdefault(board, BoardState())
        state.viewers.add(viewer)
        viewer.boards.add(board)
        self.contest_viewers[contest_id].add(viewer)
        channel = keys.doorbell_channel(contest_id)
        if channel not in self._channels:
            self._channels.add(channel)
            with contextlib.suppress(RedisError, OSError):  # the listener re-subscribes after an outage
                await self._pubsub.subscribe(channel)
            state.frames.clear()  # doorbells before this moment were not heard
        if viewer.variant not in state.frames:
            await self._render(board, snapshot)
        viewer.offer_frame(board, state.frames[viewer.variant])
        return None

    def unsubscribe(self, viewer: Viewer, board: str) -> None:
        state = self.boards.get(board)
        viewer.boards.discard(board)
        if state is None:
            return
        state.viewers.discard(viewer)
        parsed = parse_board(board)
        if parsed and not any(parsed[0] == (parse_board(b) or ("",))[0] for b in viewer.boards):
            self.contest_viewers[parsed[0]].discard(viewer)
        if not state.viewers:
            del self.boards[board]
        self._schedule_channel_cleanup()

    def drop(self, viewer: Viewer) -> None:
        for board in list(viewer.boards):
            self.unsubscribe(viewer, board)
        viewer.stop()

    def _schedule_channel_cleanup(self) -> None:
        watched = {keys.doorbell_channel(cid) for cid, vs in self.contest_viewers.items() if vs}
        stale = self._channels - watched
        if stale:
            self._channels -= stale
            for cid in [cid for cid, vs in self.contest_viewers.items() if not vs]:
                del self.contest_viewers[cid]
            task = asyncio.get_running_loop().create_task(self._pubsub.unsubscribe(*stale))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    # --- doorbells -----------------------------------------------------------------------------

    async def _listen(self) -> None:
        connected = False
        while True:
            try:
                if not connected:
                    await self._pubsub.subscribe(keys.CONFIG_CHANNEL, keys.BADGE_CHANNEL, *self._channels)
                    connected = True
                    self._mark_dirty(list(self.boards))  # changes while deaf: resend everything
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except (RedisError, OSError) as exc:
                if connected:
                    log.warning("doorbell connection lost (%s); reconnecting", exc)
                connected = False
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            if channel == keys.CONFIG_CHANNEL:
                self._mark_dirty(list(self.boards))
                continue
            if channel == keys.BADGE_CHANNEL:
                self._announce_badge(message["data"])
                continue
            contest_id = channel.rsplit(":", 1)[-1]
            self._mark_dirty([b for b in self.boards if (parse_board(b) or ("",))[0] == contest_id])
            self._celebrate(contest_id, message["data"])

    def _mark_dirty(self, boards: list[str]) -> None:
        if boards:
            self._dirty.update(boards)
            self._wake.set()

    def _celebrate(self, contest_id: str, data: bytes | str) -> None:
        try:
            bell = json.loads(data)
        except ValueError:
            return
        kind = {"deal.won": "deal", "contest.won": "contest_won"}.get(bell.get("type", ""))
        if kind is None or (kind == "deal" and not bell.get("points", 0) > 0) or not bell.get("rep"):
            return
        rep_id = bell.get("rep", "")
        directory = self.registry.cached().directory
        rep = directory.reps.get(rep_id)
        base = {
            "op": "celebrate",
            "kind": kind,
            "board": f"contest:{contest_id}",
            "rep": rep_id,
            "team": rep.team if rep else None,
            "amount": bell.get("amount") or None,
            "points": bell.get("points", 0),
            "event": bell.get("event"),
        }
        frames: dict[Variant, Frame] = {}
        for variant in VARIANTS:
            name = directory.public_name(rep_id) if variant[1] else (rep.name if rep else rep_id)
            frames[variant] = encode({**base, "name": name}, variant[0])
        pending = self._celebrations.setdefault(contest_id, [])
        if len(pending) < MAX_PENDING_CELEBRATIONS:
            pending.append(frames)

    def _announce_badge(self, data: bytes | str) -> None:
        """A badge awarded (or revoked) goes to every screen: recognition is public."""
        try:
            change = json.loads(data)
        except ValueError:
            return
        snapshot = self.registry.cached()
        rep = snapshot.directory.reps.get(change.get("rep", ""))
        badge = next((b for b in snapshot.badges if b.id == change.get("badge")), None)
        base = {
            "op": "badge",
            "action": change.get("action"),
            "rep": change.get("rep"),
            "team": rep.team if rep else None,
            "badge": change.get("badge"),
            "period": change.get("period"),
            "title": {"zh-CN": badge.name_zh, "en": badge.name_en} if badge else None,
        }
        frames: dict[Variant, Frame] = {}
        for variant in VARIANTS:
            rep_id = change.get("rep", "")
            name = snapshot.directory.public_name(rep_id) if variant[1] else (rep.name if rep else rep_id)
            frames[variant] = encode({**base, "name": name}, variant[0])
        pending = self._celebrations.setdefault("*", [])
        if len(pending) < MAX_PENDING_CELEBRATIONS:
            pending.append(frames)
        self._wake.set()

    def _release_celebrations(self) -> None:
        """Celebrations go out right after the board frames of the same tick, so the row moves first."""
        celebrations, self._celebrations = self._celebrations, {}
        for contest_id, frames_list in celebrations.items():
            viewers = (
                {v for vs in self.contest_viewers.values() for v in vs}
                if contest_id == "*"
                else self.contest_viewers.get(contest_id, ())
            )
            for viewer in viewers:
                for frames in frames_list:
                    viewer.offer_notice(frames[viewer.variant])

    # --- flushing ------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            boards, self._dirty = self._dirty, set()
            try:
                snapshot = await self.registry.current()
                for board in boards:
                    state = self.boards.get(board)
                    if state is None or not state.viewers:
                        continue
                    previous_epoch = state.epoch
                    if await self._render(board, snapshot):
                        epoch_changed = previous_epoch not in (0, state.epoch)
                        notice = {"op": "epoch", "board": board, "epoch": state.epoch}
                        for viewer in list(state.viewers):
                            viewer.offer_frame(board, state.frames[viewer.variant])
                            if epoch_changed:  # after a rescore: the snapshot replaces everything
                                viewer.offer_notice(encode(notice, viewer.binary))
            except (RedisError, OSError) as exc:
                log.warning("board read failed (%s); retrying", exc)
                self._dirty |= boards
                self._wake.set()
            self._release_celebrations()
            await asyncio.sleep(self.tick)

    async def _render(self, board: str, snapshot: Snapshot) -> bool:
        """Read the board once and encode every variant; False when nothing changed since last time."""
        parsed = parse_board(board)
        state = self.boards.get(board)
        if parsed is None or state is None:
            return False
        contest_id, which = parsed
        contest = snapshot.contests.get(contest_id)
        if contest is None:
            return False
        read = await self.store.read_board(contest_id, contest.epoch, which, limit=self.board_rows)
        if read.seq == state.seq and read.epoch == state.epoch and len(state.frames) == len(VARIANTS):
            return False
        meta = {
            "id": contest.id,
            "name": contest.name,
            "kind": contest.kind,
            "starts_at": contest.starts_at.isoformat(),
            "ends_at": contest.ends_at.isoformat(),
            "currency": contest.currency,
            "scoring": contest.scoring,
            "target": contest.target,
            "goal": contest.goal,
        }
        team_names = {t.id: t.name for t in snapshot.directory.teams.values()} if which != "teams" else {}
        for public in (False, True):
            rows = board_rows(read.rows, which, snapshot, public, contest=contest)
            message = {
                "op": "snapshot",
                "board": board,
                "epoch": read.epoch,
                "seq": read.seq,
                "rows": rows,
                "contest": meta,
                "team_names": team_names,
            }
            for binary in (False, True):
                state.frames[(binary, public)] = encode(message, binary)
        state.seq, state.epoch = read.seq, read.epoch
        return True


def board_rows(
    rows: list[Any], which: str, snapshot: Snapshot, public: bool, contest: Any = None
) -> list[dict[str, Any]]:
    """Rows in the public shape ``{rank, id, name, team, score}`` (team rows without ``team``).

    Percent-of-target boards rank by tenths of a percent; their rows also carry ``percent``.
    """
    directory = snapshot.directory
    percent = contest is not None and contest.scoring == "percent_of_target"
    out: list[dict[str, Any]] = []
    if which == "teams":
        for row in rows:
            team = directory.teams.get(row.id)
            item: dict[str, Any] = {
                "rank": row.rank,
                "id": row.id,
                "name": team.name if team else row.id,
                "score": row.score,
            }
            if percent:
                item["percent"] = row.score / 10
            out.append(item)
        return out
    name_of: Callable[[str], str]
    name_of = directory.public_name if public else (lambda rid: r.name if (r := directory.reps.get(rid)) else rid)
    for row in rows:
        rep = directory.reps.get(row.id)
        item = {
            "rank": row.rank,
            "id": row.id,
            "name": name_of(row.id),
            "team": rep.team if rep else None,
            "score": row.score,
        }
        if percent:
            item["percent"] = row.score / 10
        out.append(item)
    return out
