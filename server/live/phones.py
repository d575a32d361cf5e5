"""The phones on a ``me:<contest>`` board: one pass per board per tick for all of them, a frame only for those
whose own view changed.

The board's reps and scores are held in memory (``server/live/ranking.py``): read in full when a phone
first watches it, after anything but a won deal (a reversal, an update, a roster or team change, a
rescore), when a doorbell went missing, and every five minutes whatever happened; in between, a won deal's
doorbell tells its rep's score and the board's size (``game/lua/apply_contest.lua``), so a tick whose doorbells
tell every change since the board held reads nothing; otherwise (a doorbell without them, a seq skipped) it
reads the scores of the reps its doorbells named, with the board's seq and size, in one MULTI
(``boards.read_scores``). Each move names the band of scores whose standings it may have changed, so a tick
looks only at the phones of reps in those bands and of reps whose own latest wins changed, not at every
phone. Reps below the reps held get their standings from one batched read per tick
(``boards.read_standings``), and only when a move reached below the reps held. A phone's view is its
rep's standing, the board's epoch and size, and the rep's own latest wins: a phone whose view is the one
it was last sent gets nothing; the others get a frame composed once per rep and encoding (a rep on two
phones shares it). Composing yields to the loop every ``SLICE`` phones, so thousands of phones never
stall the other screens of the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from game.contests import Contest
from server.live.board_reader import BoardReader
from server.live.cpu_meter import PHONE, charging
from server.live.followers import Followers
from server.live.ranking import LiveRanking
from server.live.viewer import Viewer
from server.live.wire import WireFrame, encode
from server.services.boards import (
    FEED_ROWS,
    BoardSpec,
    BoardView,
    MeMessage,
    ScoresRead,
    contest_meta,
    feed_row,
    me_message,
)
from server.services.diffs import Row
from server.services.registry import Snapshot
from server.services.standings import UNRANKED, Ranking, Standing

SLICE = 256  # phones looked at between two yields to the loop (a composed frame counts as COMPOSE_COST)
COMPOSE_COST = 16  # a composed and encoded frame costs about this many unchanged phones
RESYNC_SECONDS = 300.0  # the board is read in full at least this often, whatever the doorbells said
GAP_SECONDS = 2.0  # a change whose doorbell has not come within this long: the board is read in full
MAX_HEARD = 5_000  # more won deals than this between two reads: reading the board in full is cheaper

PhoneView = tuple[int, int, Standing, tuple[str, ...]]  # epoch, reps on the board, standing, own wins
Offer = tuple[Viewer, WireFrame]


@dataclass(eq=False)
class Phones(Followers[PhoneView]):
    """Who follows which rep on one ``me:`` board, the board held in memory, and the view each phone was
    last sent."""

    ranking: LiveRanking | None = None
    deep: dict[str, Standing] = field(default_factory=dict)  # followed reps below the reps held
    wins: dict[str, tuple[str, ...]] = field(default_factory=dict)  # each rep's own latest wins, as last read
    mine: dict[str, list[Row]] = field(default_factory=dict)  # and their rows
    heard: dict[int, str] = field(default_factory=dict)  # seq -> rep of the won deals not yet read
    told: dict[int, tuple[int, int]] = field(default_factory=dict)  # seq -> the rep's score and board size then
    won: list[dict[str, Any]] = field(default_factory=list)  # their doorbells, for the recent wins
    recent: list[Row] = field(default_factory=list)  # the contest's recent wins (its feed), newest first
    stale: bool = False  # a full read is due
    touched: set[str] | None = field(default_factory=set)  # reps whose view may have changed; None: all
    seq: int = 0  # the board's seq at the last read
    _meta: tuple[Contest, dict[str, Any]] | None = None
    _synced: float = 0.0
    _gap_since: float | None = None

    def followed(self, rep: str) -> None:
        if self.ranking is not None:
            self.ranking.add_follower(rep)

    def unfollowed(self, rep: str) -> None:
        self.deep.pop(rep, None)
        if self.ranking is not None:
            self.ranking.drop_follower(rep)

    # --- reading ------------------------------------------------------------------------------

    def hear(self, bell: dict[str, Any] | None) -> None:
        """A doorbell of the board's contest: a won deal names the rep whose score the next tick reads;
        anything else (a reversal, an update, a roster, a rescore, a bell not understood) means a full read."""
        bell = bell or {}
        seq, rep, ranking = bell.get("seq"), bell.get("rep"), self.ranking
        if not understood(bell) or not isinstance(seq, int) or not isinstance(rep, str):
            self.stale = True
        elif len(self.heard) >= MAX_HEARD or (ranking is not None and bell.get("epoch") != ranking.epoch):
            self.stale = True  # a flood, or a rescore's epoch: read it all
        elif ranking is None or seq > ranking.seq:
            self.heard[seq] = rep
            score, size = bell.get("score"), bell.get("size")
            if isinstance(score, int) and isinstance(size, int):
                self.told[seq] = (score, size)
        if understood(bell) and bell["points"] > 0:
            self.won.append(bell)  # it joined the contest's recent wins as it rang
            del self.won[:-FEED_ROWS]

    async def refresh(self, reader: BoardReader, spec: BoardSpec, snapshot: Snapshot) -> BoardView | None:
        """Bring the board held in memory up to date (in full or by the reps the doorbells named) and note
        which reps' views may have changed; returns the view the phones' frames are composed from."""
        with charging(PHONE):
            return await self._refresh(reader, spec, snapshot)

    async def _refresh(self, reader: BoardReader, spec: BoardSpec, snapshot: Snapshot) -> BoardView | None:
        contest = snapshot.contests.get(spec.contest_id)
        if contest is None:
            return None
        won, self.won = self.won, []
        try:
            touched = await self._follow(reader, spec, contest) if self._current(contest) else None
            if touched is None:
                self.stale = False
                feed = await reader.read(BoardSpec(f"feed:{contest.id}", "feed", contest.id, "reps"), snapshot)
                full = await reader.read(spec, snapshot, full=True)
                if full is None:
                    return None
                self.load(full)
                self.recent = [dict(row) for row in feed.rows] if feed else []  # ours: their ranks move in place
                won = [b for b in won if feed is None or (b.get("epoch") == feed.epoch and b["seq"] > feed.seq)]
        except BaseException:
            self.won[:0] = won  # the read failed: these wins are still to be listed
            raise
        moved = self._list_wins(won, snapshot, everyone=touched is None)
        ranking = self.ranking
        assert ranking is not None
        if touched is None or self._reached_deep(touched):
            await self._read_deep(reader, spec, contest, ranking)
        if touched is not None:
            touched.discard("")
            touched |= moved
        self.touched = None if touched is None or self.touched is None else self.touched | touched
        return BoardView(ranking.epoch, self.seq, [], ranking.total, self._meta_of(contest), {"recent": self.recent})

    def _list_wins(self, won: list[dict[str, Any]], snapshot: Snapshot, *, everyone: bool) -> set[str]:
        """The contest's recent wins with ``won`` on top (newest first), and each rep's own among them; returns
        the reps whose own wins changed. Only the reps of the rows that came or left are looked at (their
        ranks in the list are set in place: the rows are this board's own)."""
        recent = self.recent
        reps: set[str | None] = set()
        if won:
            rows = [feed_row(0, bell, snapshot.directory) for bell in reversed(won)]
            recent[:0] = rows
            reps.update(row["rep"] for row in rows)
            reps.update(row.get("rep") for row in recent[FEED_ROWS:])
            del recent[FEED_ROWS:]
            for rank, row in enumerate(recent, 1):
                row["rank"] = rank
        if everyone:
            self.mine = own_rows(recent)
            self.wins = {rep: tuple([row["id"] for row in rows]) for rep, rows in self.mine.items()}
            return set()
        listed: dict[str, list[Row]] = {rep: [] for rep in reps if rep is not None}
        for row in recent:  # one pass for all of them
            own = listed.get(row.get("rep", ""))
            if own is not None:
                own.append(row)
        moved: set[str] = set()
        mine, known = self.mine, self.wins
        for rep, rows in listed.items():
            wins = tuple([row["id"] for row in rows])
            if wins != known.get(rep, ()):
                moved.add(rep)
            if rows:
                mine[rep], known[rep] = rows, wins
            else:
                mine.pop(rep, None)
                known.pop(rep, None)
        return moved

    def _meta_of(self, contest: Contest) -> dict[str, Any]:
        """The contest's part of the view, built again only when the snapshot's contest is another one."""
        held = self._meta
        if held is None or held[0] is not contest:
            held = self._meta = (contest, contest_meta(contest))
        return held[1]

    def load(self, view: BoardView) -> None:
        """The board as a full read found it: every standing may have changed."""
        ranking = LiveRanking(view.epoch, view.seq, view.total, view.ranking or Ranking([], []))
        ranking.follow(set(self.followers))
        self.ranking, self.seq, self.touched = ranking, view.seq, None
        self.heard = {seq: rep for seq, rep in self.heard.items() if seq > view.seq}
        self.told = {seq: told for seq, told in self.told.items() if seq > view.seq}
        self._synced, self._gap_since = now(), None

    def _current(self, contest: Contest) -> bool:
        """Whether the board held can be moved on by the doorbells heard (else it is read in full)."""
        ranking, at = self.ranking, now()
        return not (
            ranking is None
            or self.stale
            or contest.confirm is not None  # confirmations move provisional points the doorbells do not name
            or ranking.epoch != contest.epoch
            or at - self._synced > RESYNC_SECONDS
            or (self._gap_since is not None and at - self._gap_since > GAP_SECONDS)
        )

    async def _follow(self, reader: BoardReader, spec: BoardSpec, contest: Contest) -> set[str] | None:
        """Move the reps the doorbells named to their scores now; the reps whose views that may have changed
        ("" among them when a move reached below the reps held), or None when a full read is needed."""
        ranking = self.ranking
        assert ranking is not None
        asked = dict(self.heard)
        reps = sorted(set(asked.values()))
        told = self._told_read(asked) if spec.which == "reps" else None  # doorbells tell the reps board's scores
        read = told or await reader.scores_of(contest, ranking.epoch, spec.which, reps)
        if ranking is not self.ranking or self.stale:
            return None
        touched: set[str] = set()
        floor = ranking.floor
        for rep in reps:
            followed = rep in self.followers
            old, new = ranking.move(rep, read.scores.get(rep), followed)
            if followed:
                touched.add(rep)
            if old == new and old is not None:
                continue
            if old is None or new is None or floor is None or min(old, new) <= floor:
                touched.add("")  # below the reps held, standings may have moved too
            band = ranking.band(old, new)
            if band is not None:
                touched.update(ranking.followed_in(band))
        if ranking.held_all and read.total != len(ranking.scores):
            return None  # a rep joined or left without a won deal: read it all
        if read.total != ranking.total:
            ranking.total = read.total
            touched.update(self.followers)  # every phone shows the board's size
        covered = ranking.seq
        while covered < read.seq and covered + 1 in asked:
            covered += 1
        ranking.seq, self.seq = covered, max(self.seq, read.seq)
        if covered >= read.seq:
            self._gap_since = None
        elif self._gap_since is None:
            self._gap_since = now()  # its doorbell is on its way, or lost
        for seq in asked:
            if seq <= covered:
                self.heard.pop(seq, None)
                self.told.pop(seq, None)
        return touched

    def _told_read(self, asked: dict[int, str]) -> ScoresRead | None:
        """What reading the named reps' scores would find, from the doorbells themselves, when they tell every
        change since the board held (each carries its rep's score and the board's size then); else None."""
        ranking, told = self.ranking, self.told
        assert ranking is not None
        seqs = sorted(asked)
        if not seqs or seqs[0] != ranking.seq + 1 or seqs[-1] - seqs[0] + 1 != len(seqs):
            return None  # nothing heard, or a change whose doorbell has not come (or never rings)
        scores: dict[str, int | None] = {}
        size = ranking.total
        for seq in seqs:
            if seq not in told:
                return None
            scores[asked[seq]], size = told[seq]
        return ScoresRead(seqs[-1], size, scores)

    def _reached_deep(self, touched: set[str]) -> bool:
        return "" in touched and self.ranking is not None and not self.ranking.held_all

    async def _read_deep(self, reader: BoardReader, spec: BoardSpec, contest: Contest, ranking: LiveRanking) -> None:
        """The standings of the followed reps below the reps held, in one batched read."""
        if ranking.held_all:
            self.deep.clear()
            return
        below = [rep for rep in self.followers if rep not in ranking.scores]
        self.deep = await reader.standings(contest, ranking.epoch, spec.which, below) if below else {}
        if self.touched is not None:
            self.touched.update(below)

    def standing(self, rep: str) -> Standing:
        found = self.ranking.standing(rep) if self.ranking is not None else None
        return found or self.deep.get(rep, UNRANKED)

    def _standings(self) -> Callable[[str], Standing]:
        """``standing``, its lookups bound once for a pass over many reps."""
        held = self.ranking.standing if self.ranking is not None else None
        deep = self.deep.get
        if held is None:
            return lambda rep: deep(rep, UNRANKED)
        if not self.deep:  # the board is held whole (or no phone is below the reps held)
            return lambda rep: held(rep) or UNRANKED
        return lambda rep: held(rep) or deep(rep, UNRANKED)

    # --- frames -------------------------------------------------------------------------------

    def compose(
        self, spec: BoardSpec, view: BoardView, rep: str, standing: Standing, snapshot: Snapshot, at: datetime
    ) -> MeMessage:
        """A phone's ``me`` message (its rep's own wins picked out once per read, not per phone)."""
        contest = snapshot.contests[spec.contest_id]
        return me_message(spec, view, rep, standing, contest, at, self.mine.get(rep, []))

    async def greeting(
        self, reader: BoardReader, viewer: Viewer, spec: BoardSpec, view: BoardView, snapshot: Snapshot
    ) -> WireFrame:
        """The frame a phone gets when it subscribes, whatever it was sent before."""
        rep = self.reps[viewer]
        ranking, contest = self.ranking, snapshot.contests.get(spec.contest_id)
        held = ranking is not None and (ranking.held_all or rep in ranking.scores)
        if not held and rep not in self.deep and ranking is not None and contest is not None:
            self.deep.update(await reader.standings(contest, ranking.epoch, spec.which, [rep]))
        standing = self.standing(rep)
        if self.reps.get(viewer) == rep:
            self.sent[viewer] = (view.epoch, view.total, standing, self.wins.get(rep, ()))
        return encode(self.compose(spec, view, rep, standing, snapshot, datetime.now(UTC)), viewer.binary)

    async def changed(self, spec: BoardSpec, view: BoardView, snapshot: Snapshot, *, every: bool) -> list[Offer]:
        """A frame for each phone whose view changed since it was last sent one (``every``: for all of them,
        after names or targets changed), composed once per rep and encoding, yielding to the loop in slices."""
        with charging(PHONE):
            return await self._changed(spec, view, snapshot, every=every)

    async def _changed(self, spec: BoardSpec, view: BoardView, snapshot: Snapshot, *, every: bool) -> list[Offer]:
        touched, self.touched = self.touched, set()
        followers = self.followers
        reps = list(followers) if every or touched is None else [r for r in touched if r in followers]
        offers: list[Offer] = []
        work, at, sent, wins, standing = 0, datetime.now(UTC), self.sent, self.wins, self._standings()
        epoch, total = view.epoch, view.total
        for rep in reps:
            if work >= SLICE:  # between reps: a rep's phones are looked at without a pause in between
                work = 0
                await asyncio.sleep(0)
            phones = followers.get(rep)
            if not phones:
                continue  # its phones left meanwhile
            seen = (epoch, total, standing(rep), wins.get(rep, ()))
            work += len(phones)
            message: MeMessage | None = None
            text = packed = None  # composed once per rep, encoded once per variant
            for viewer in phones:
                if not every and sent.get(viewer) == seen:
                    continue  # its view is the one it has
                sent[viewer] = seen
                frame = packed if viewer.binary else text
                if frame is None:
                    work += COMPOSE_COST
                    if message is None:
                        message = self.compose(spec, view, rep, seen[2], snapshot, at)
                    frame = encode(message, viewer.binary)
                    if viewer.binary:
                        packed = frame
                    else:
                        text = frame
                offers.append((viewer, frame))
        return offers


def now() -> float:
    """The loop's clock (what the hub's ticks run on)."""
    return asyncio.get_running_loop().time()


def understood(bell: dict[str, Any]) -> bool:
    """A won deal's doorbell, with all a phone needs of it (anything else means reading the board in full)."""
    return (
        bell.get("type") == "deal.won"
        and isinstance(bell.get("seq"), int)
        and isinstance(bell.get("rep"), str)
        and isinstance(bell.get("event"), str)
        and isinstance(bell.get("points"), int)
    )


def own_rows(recent: list[Row]) -> dict[str, list[Row]]:
    """Each rep's wins among the contest's latest (newest first): a new one changes the rep's view."""
    mine: dict[str, list[Row]] = {}
    for row in recent:
        rep = row.get("rep")
        if rep is not None:
            mine.setdefault(rep, []).append(row)
    return mine
