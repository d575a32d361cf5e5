"""The per-process websocket hub: doorbells in, coalesced board updates out.

The hub's broker (``server/live/broker.py``; Redis pub/sub, one connection per process) hears the
doorbells of the boards local viewers watch. A doorbell marks boards dirty; the flusher reads each dirty
board **once** (``server/live/board_reader.py``), computes one diff, encodes it **once** per variant
(json/msgpack × internal/public names, ``server/live/frames.py``) and hands the same bytes to every viewer.
The first change after a quiet period goes out at once (leading edge); changes during the following
``tick`` are merged into the next update. A board nobody watches any more lingers for a minute, still
recording its diff history, so a screen that lost Wi-Fi recovers with a diff instead of a snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from redis.exceptions import RedisError

from game import keys
from server import metrics
from server.live import frames, history
from server.live.board_reader import BoardReader, Snapshots
from server.live.broker import Broker, Message, Reconnected
from server.live.cpu_meter import SHARED, counted, metered
from server.live.frames import Frames, Variant, same_for_all
from server.live.goal_phones import PERSONAL, GoalPhones, GoalsOf, phones_for
from server.live.phones import Offer, Phones
from server.live.viewer import Viewer, WriteBatch
from server.live.wire import WireFrame, encode
from server.services.boards import BoardSpec, BoardView, board_channels, diff_message, parse_board, snapshot_message
from server.services.diffs import Row, Span, chain, diff_rows
from server.services.registry import Snapshot
from server.tasks import stop_task

log = logging.getLogger("arena.hub")

MAX_PENDING_CELEBRATIONS = 20  # per contest per tick; beyond that the board itself tells the story
LINGER_SECONDS = 60.0
RETRY_SECONDS = 0.5  # after a failed board read


@dataclass(eq=False)
class BoardState:
    spec: BoardSpec
    viewers: set[Viewer] = field(default_factory=set)
    phones: Phones | GoalPhones = field(default_factory=Phones)  # me and goals boards: phones and their reps
    view: BoardView | None = None
    snapshots: dict[Variant, WireFrame] = field(default_factory=dict)  # the whole board, ``Frames`` per read
    idle_since: float | None = None

    @property
    def channels(self) -> tuple[str, ...]:
        return board_channels(self.spec)


MomentBuilder = Callable[[dict[str, Any], Snapshot], frames.MessageBuilder | None]  # a moment heard -> its frames


class Hub:
    """Boards watched in this process, their viewers, and the loops that keep the viewers up to date: the
    listener (doorbells from the broker) and the flusher (one read and one write per viewer per tick)."""

    def __init__(self, broker: Broker, reader: BoardReader, registry: Snapshots, *, tick_ms: int) -> None:
        self.goals: GoalsOf | None = None  # reps -> their goals with pace, for the goals board (none: it stays empty)
        self.broker = broker
        self.reader = reader
        self.registry = registry
        self.tick = tick_ms / 1000
        self.boards: dict[str, BoardState] = {}
        self._channel_refs: Counter[str] = Counter()
        self._dirty: set[str] = set()
        self._renamed = False
        self._updates = 0  # board updates offered to viewers, so the flusher knows when to hold back
        self._celebrations: dict[str, list[Frames]] = {}
        self.batch = WriteBatch()  # what one flush offers a viewer leaves in one write
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.broker.subscribe(keys.CONFIG_CHANNEL, keys.BADGE_CHANNEL, keys.RECOGNITION_CHANNEL)
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listen"),
            asyncio.create_task(self._flush_loop(), name="hub-flush"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            await stop_task(task)
        await self.broker.close()

    # --- viewers -------------------------------------------------------------------------------

    async def subscribe(
        self,
        viewer: Viewer,
        board: str,
        *,
        epoch: int | None = None,
        seq: int | None = None,
        rep: str | None = None,
    ) -> str | None:
        """Add a viewer to a board and queue what it needs: a snapshot, or the diff since (epoch, seq)."""
        spec = parse_board(board)
        if spec is None:
            return f"unknown board {board!r}: contest:<id>[:teams|:div:<name>], xp:<window>, feed:<id>, me:<id>"
        snapshot = await self.registry.current()
        if spec.kind not in ("xp", "goals") and spec.contest_id not in snapshot.contests:
            return f"no contest {spec.contest_id!r}"
        if spec.kind in PERSONAL and not rep:
            return f"{spec.kind} boards are for reps: sign in as a rep"
        state = self.boards.get(board)
        if state is None:
            phones = phones_for(spec.kind, self.goals, partial(self._mark_dirty, [board]))
            state = self.boards[board] = BoardState(spec, phones=phones)
            for channel in state.channels:
                await self._watch(channel)
        state.viewers.add(viewer)
        state.idle_since = None
        viewer.boards.add(board)
        if spec.kind in PERSONAL and rep:
            state.phones.add(viewer, rep)
        if state.view is None:
            await self._refresh(state, snapshot)
        if state.view is None:
            return f"board {board!r} cannot be read"
        await self._greet(viewer, state, snapshot, epoch, seq)
        return None

    async def _greet(
        self, viewer: Viewer, state: BoardState, snapshot: Snapshot, epoch: int | None, seq: int | None
    ) -> None:
        view, spec = state.view, state.spec
        assert view is not None
        if spec.kind in PERSONAL:
            viewer.offer_frame(spec.board, await state.phones.greeting(self.reader, viewer, spec, view, snapshot))
            return
        asked = epoch is not None and seq is not None
        if asked and epoch == view.epoch and seq is not None and seq <= view.seq:
            span = Span(seq, seq) if seq == view.seq else None
            if span is None:
                span = chain(await self.broker.spans_since(history.key_for(spec, view.epoch), seq), seq, view.seq)
            if span is not None:
                message = diff_message(spec, view, span.rows, span.removed, snapshot, viewer.public, recovered=True)
                viewer.offer_frame(spec.board, encode(message, viewer.binary))
                await self._recover_celebrations(viewer, spec, view, seq)
                return
        message = snapshot_message(spec, view, snapshot, viewer.public)
        if asked:
            message["recovered"] = False
        viewer.offer_frame(spec.board, encode(message, viewer.binary))

    async def _recover_celebrations(self, viewer: Viewer, spec: BoardSpec, view: BoardView, seq: int) -> None:
        """Deal celebrations a screen missed while away, each once (they are keyed by board seq)."""
        if spec.kind != "contest" or spec.which != "reps":
            return
        bells: list[dict[str, Any]] = []
        with contextlib.suppress(RedisError, OSError):
            bells = await self.reader.recent_wins(spec.contest_id)
        directory = self.registry.cached().directory
        for bell in reversed(bells):
            if bell.get("epoch") == view.epoch and seq < bell.get("seq", 0) <= view.seq:
                build = frames.celebration(spec.contest_id, bell, directory)
                if build is not None:
                    viewer.offer_notice(Frames(build)[viewer.variant])

    def unsubscribe(self, viewer: Viewer, board: str) -> None:
        viewer.boards.discard(board)
        state = self.boards.get(board)
        if state is None:
            return
        state.viewers.discard(viewer)
        state.phones.remove(viewer)
        if not state.viewers:
            state.idle_since = time.monotonic()

    def drop(self, viewer: Viewer) -> None:
        for board in list(viewer.boards):
            self.unsubscribe(viewer, board)
        viewer.stop()

    async def _watch(self, channel: str) -> None:
        self._channel_refs[channel] += 1
        if self._channel_refs[channel] == 1:
            await self.broker.subscribe(channel)

    async def _sweep(self) -> None:
        """Forget boards nobody has watched for a while, and their channels."""
        now = time.monotonic()
        for board, state in list(self.boards.items()):
            if state.viewers or state.idle_since is None or now - state.idle_since < LINGER_SECONDS:
                continue
            del self.boards[board]
            for channel in state.channels:
                self._channel_refs[channel] -= 1
                if self._channel_refs[channel] <= 0:
                    del self._channel_refs[channel]
                    await self.broker.unsubscribe(channel)

    def viewers_of_contest(self, contest_id: str) -> set[Viewer]:
        return {v for s in self.boards.values() if s.spec.contest_id == contest_id for v in s.viewers}

    # --- doorbells -----------------------------------------------------------------------------

    async def _listen(self) -> None:
        async for heard in self.broker.listen():
            if isinstance(heard, Reconnected):
                for state in self.boards.values():
                    state.phones.stale = True  # doorbells may have been missed: boards held are read anew
                self._mark_dirty(list(self.boards))  # changes while deaf: refresh everything
                continue
            try:
                self._hear(heard)
            except Exception:  # anything can be published: one bad message must not leave the screens dark
                log.exception("could not handle a message on %r; carrying on", heard.channel)

    def _hear(self, message: Message) -> None:
        channel = message.channel
        if channel == keys.CONFIG_CHANNEL:
            self.registry.invalidate()
            self._renamed = self._renamed or bool(self.boards)  # boards read later have the new names
            self._mark_dirty(list(self.boards))
        elif channel == keys.BADGE_CHANNEL:
            self._announce_badge(message.data)
        elif channel == keys.RECOGNITION_CHANNEL:
            self._announce(frames.recognition, message.data)
        elif keys.is_xp_channel(channel):  # an event gave or took back XP: XP boards and goals may have moved
            self._mark_dirty([b for b, s in self.boards.items() if s.spec.kind in ("xp", "goals")])
        elif (contest_id := keys.contest_of_channel(channel)) is not None:
            boards = [b for b, s in self.boards.items() if s.spec.contest_id == contest_id]
            self._mark_dirty(boards)
            bell = parse_bell(message.data)
            for board in boards:
                if self.boards[board].spec.kind == "me":
                    self.boards[board].phones.hear(bell)  # the rep whose score its next read asks for
            if bell is not None:
                self._celebrate(contest_id, bell)

    def _mark_dirty(self, boards: list[str]) -> None:
        if boards:
            self._dirty.update(boards)
            self._wake.set()

    def _celebrate(self, contest_id: str, bell: dict[str, Any]) -> None:
        build = frames.celebration(contest_id, bell, self.registry.cached().directory)
        pending = self._celebrations.setdefault(contest_id, [])
        if build is not None and len(pending) < MAX_PENDING_CELEBRATIONS:
            pending.append(Frames(build))

    def _announce_badge(self, data: bytes) -> None:
        """A badge awarded (or revoked) goes to every screen: recognition is public."""
        self._announce(frames.badge, data)

    def _announce(self, builder: MomentBuilder, data: bytes) -> None:
        """A moment for every screen (a badge, kudos, an award), built by ``builder`` from the JSON heard."""
        try:
            change = json.loads(data)
        except ValueError:
            return
        build = builder(change, self.registry.cached()) if isinstance(change, dict) else None
        if build is None:
            return
        pending = self._celebrations.setdefault("*", [])
        if len(pending) < MAX_PENDING_CELEBRATIONS:
            pending.append(Frames(build))
        self._wake.set()

    def _lead_change(self, spec: BoardSpec, old: BoardView, new: BoardView, snapshot: Snapshot) -> None:
        """A new leader on a contest's rep or team board is a moment for the screens watching it."""
        build = frames.lead_change(spec, old, new, snapshot.directory)
        if build is None:
            return
        moment = Frames(build)
        for viewer in counted(SHARED, state_viewers(self.boards.get(spec.board))):
            viewer.offer_notice(moment[viewer.variant])

    def _release_celebrations(self, celebrations: dict[str, list[Frames]]) -> None:
        """Celebrations go out right after the board updates of the same tick, so the row moves first."""
        for contest_id, moments in celebrations.items():
            if contest_id == "*":
                viewers = {v for s in self.boards.values() for v in s.viewers}
            else:
                viewers = self.viewers_of_contest(contest_id)
            for viewer in counted(SHARED, viewers, len(moments)):
                for moment in moments:
                    viewer.offer_notice(moment[viewer.variant])

    # --- flushing ------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._dirty:
                await self._wait_for_a_board_change(self.tick)
            started = loop.time()
            try:
                flushed = await metered(self._flush())  # its CPU, by path (``cpu_meter``)
            except Exception:  # a bug in one board's update must not stop every other board
                log.exception("flush failed; carrying on")
                flushed = True
            metrics.HUB_FLUSH_SECONDS.observe(loop.time() - started)
            if flushed:  # coalesce: the next flush starts at most once a tick, counted from the start of
                # this one (a flush to 10k screens takes a while; it is not added to the tick)
                await asyncio.sleep(max(0.0, started + self.tick - loop.time()))

    async def _wait_for_a_board_change(self, seconds: float) -> None:
        """Badges come without a board change: they wait up to ``seconds`` for one to ride with, so on a
        busy floor a screen gets one write per tick rather than two (a badge is recognition, not a race)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while not self._dirty:
                    await self._wake.wait()
                    self._wake.clear()

    async def _flush(self) -> bool:
        """Read each dirty board once, offer every viewer what changed, then record it in the boards'
        histories. True when board updates went out."""
        boards, self._dirty = self._dirty, set()
        renamed, self._renamed = self._renamed, False
        # Only the celebrations heard before the boards are read go out with them: one heard while they are
        # read may be of a deal the read missed, and waits for the next flush, which its doorbell brings.
        celebrations, self._celebrations = self._celebrations, {}
        updates_before = self._updates
        updates: list[tuple[BoardState, BoardUpdate]] = []
        try:
            snapshot = await self.registry.current()
            for board in sorted(boards, key=self._phones_last):
                state = self.boards.get(board)
                update = await self._refresh(state, snapshot) if state is not None else None
                if state is not None and update is not None:
                    updates.append((state, update))
                    if state.spec.kind in PERSONAL and state.view is update.new:  # phones' frames, in slices, now:
                        update.phones = await state.phones.changed(state.spec, update.new, snapshot, every=renamed)
            await self._sweep()
        except (RedisError, OSError) as exc:
            log.warning("board read failed (%s); retrying", exc)
            self._dirty |= boards
            self._renamed |= renamed
            for contest_id, moments in celebrations.items():  # they wait for the rows they celebrate
                self._celebrations[contest_id] = moments + self._celebrations.get(contest_id, [])
            celebrations = {}
            await asyncio.sleep(RETRY_SECONDS)
            self._wake.set()
        with self.batch:  # everything this flush offers one viewer leaves in one write
            for state, update in updates:
                self._publish(state, update, snapshot, renamed)
            self._release_celebrations(celebrations)
        for state, update in updates:
            await self._record(state.spec, update)
        return self._updates > updates_before

    def _phones_last(self, board: str) -> bool:
        """Shared boards first: the phones' pass (right after its refresh, caches warm) follows them, always."""
        state = self.boards.get(board)
        return state is not None and state.spec.kind in PERSONAL

    async def _record(self, spec: BoardSpec, update: BoardUpdate) -> None:
        """Keep the span just sent in the board's history, for clients that reconnect. (A client that
        reconnects before it lands gets a snapshot instead of a diff: correct, only larger.)"""
        if spec.kind in PERSONAL or update.new.epoch != update.old.epoch or update.new.seq <= update.old.seq:
            return
        span = Span(update.old.seq, update.new.seq, update.changed, update.removed)
        await self.broker.append(history.key_for(spec, update.new.epoch), span)

    async def _refresh(self, state: BoardState, snapshot: Snapshot) -> BoardUpdate | None:
        """Read a board once; returns what changed since the previous read, for ``_publish``."""
        spec = state.spec
        if spec.kind in PERSONAL:  # the board held in memory, moved on by the reps its doorbells named
            view = await state.phones.refresh(self.reader, spec, snapshot)
        else:
            view = await self.reader.read(spec, snapshot)
        if view is None:
            return None
        # The whole board, encoded at most once per read and variant (only when a viewer needs it).
        whole = Frames(partial(snapshot_message, spec, view, snapshot))
        old, state.view, state.snapshots = state.view, view, whole
        if old is None:
            return None
        if spec.kind in PERSONAL or view.epoch != old.epoch:
            return BoardUpdate(old, view)
        return BoardUpdate(old, view, *diff_rows(old.rows, view.rows))

    def _publish(self, state: BoardState, update: BoardUpdate, snapshot: Snapshot, renamed: bool) -> None:
        """Offer every viewer of a board the update: the diff (or, if it is behind, the whole board)."""
        spec, old, view = state.spec, update.old, update.new
        if spec.kind in PERSONAL:
            self._updates += 1 if update.phones else 0
            state.phones.offer(spec.board, update.phones)
            return
        whole = state.snapshots
        if view.epoch != old.epoch:  # after a rescore: a snapshot replaces everything
            self._updates += 1
            notice = Frames(same_for_all({"op": "epoch", "board": spec.board, "epoch": view.epoch}))
            for viewer in counted(SHARED, list(state.viewers), 2):
                viewer.offer_frame(spec.board, whole[viewer.variant])
                viewer.offer_notice(notice[viewer.variant])
            return
        if renamed:  # names changed: rows look different though their data did not
            self._updates += 1
            for viewer in counted(SHARED, list(state.viewers)):
                viewer.offer_frame(spec.board, whole[viewer.variant])
        elif view.seq != old.seq or update.changed or update.removed:
            self._offer_diff(state, update, snapshot)
        self._lead_change(spec, old, view, snapshot)  # after the rows it is about have moved

    def _offer_diff(self, state: BoardState, update: BoardUpdate, snapshot: Snapshot) -> None:
        spec, view, whole = state.spec, update.new, state.snapshots
        self._updates += 1
        # Encoded once per variant; the same bytes go to every viewer of that variant.
        diff = Frames(partial(diff_message, spec, view, update.changed, update.removed, snapshot))
        offers: dict[Variant, tuple[WireFrame, Callable[[], WireFrame]]] = {}
        for viewer in counted(SHARED, list(state.viewers)):
            offer = offers.get(viewer.variant)
            if offer is None:
                variant = viewer.variant
                offer = offers[variant] = (diff[variant], partial(whole.__getitem__, variant))
            viewer.offer_update(spec.board, *offer)


@dataclass
class BoardUpdate:
    """One board between two reads: the rows that changed and the ids that left."""

    old: BoardView
    new: BoardView
    changed: list[Row] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    phones: list[Offer] = field(default_factory=list)  # on a me board: the phones whose view changed


def state_viewers(state: BoardState | None) -> list[Viewer]:
    return list(state.viewers) if state is not None else []


def parse_bell(data: bytes) -> dict[str, Any] | None:
    """A contest doorbell's message; None for one that is not a JSON object (anything can be published)."""
    try:
        bell = json.loads(data)
    except ValueError:
        return None
    return bell if isinstance(bell, dict) else None
