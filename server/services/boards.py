"""The boards a screen can watch, read once per tick and shaped into protocol messages.

Board ids: ``contest:<id>`` (reps), ``contest:<id>:teams``, ``contest:<id>:div:<division>``,
``xp:<day|week|month|quarter|all>``, ``feed:<contest id>`` (recent wins) and ``me:<contest id>`` (a
rep's own standing, computed from the one full read of the contest board per tick).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType
from redis.asyncio import Redis

from game import keys
from game.contests import Contest
from game.directory import Directory
from game.pacing import pace
from game.ranking import TIME_SPAN, Ranked, competition_ranks, score_floor, score_of
from game.store import Store, board_key, seq_field, text
from game.xp import WINDOWS, window_keys
from server.services.diffs import Row
from server.services.progress_store import read_xp_board
from server.services.registry import Snapshot
from server.services.standings import UNRANKED, Ranking, Standing

FEED_ROWS = 20
FULL_ROWS = 10_000  # a whole board, as far as one tick reads it; reps below are ranked by ``read_standings``


@dataclass(frozen=True)
class BoardSpec:
    board: str
    kind: str  # contest | xp | feed | me | goals
    contest_id: str = ""
    which: str = ""  # reps | teams | div:<name> for contest boards; the window for xp boards

    @property
    def rep_level(self) -> bool:
        return (self.kind in ("contest", "me") and self.which != "teams") or self.kind in ("xp", "feed")


def board_channels(spec: BoardSpec) -> tuple[str, ...]:
    """The doorbells rung when a board changes: every XP shard's for an XP board or a rep's goals (an event that
    gave or took back XP may move them), else the contest's."""
    if spec.kind in ("xp", "goals"):
        return tuple(shard.channel for shard in keys.all_xp_keys())
    return (keys.doorbell_channel(spec.contest_id),)


def parse_board(board: str) -> BoardSpec | None:
    parts = board.split(":")
    if board == "goals":  # a rep's own goals under way (server/live/goal_phones.py)
        return BoardSpec(board, "goals")
    if len(parts) == 2 and parts[0] == "xp" and parts[1] in WINDOWS:
        return BoardSpec(board, "xp", which=parts[1])
    if len(parts) == 2 and parts[0] in ("feed", "me") and parts[1]:
        return BoardSpec(board, parts[0], contest_id=parts[1], which="reps")
    if len(parts) < 2 or parts[0] != "contest" or not parts[1]:
        return None
    if len(parts) == 2:
        return BoardSpec(board, "contest", parts[1], "reps")
    if len(parts) == 3 and parts[2] == "teams":
        return BoardSpec(board, "contest", parts[1], "teams")
    if len(parts) == 4 and parts[2] == "div" and parts[3]:
        return BoardSpec(board, "contest", parts[1], f"div:{parts[3]}")
    return None


@dataclass
class BoardView:
    """One read of a board: what every viewer of it is sent this tick."""

    epoch: int
    seq: int
    rows: list[Row]
    total: int = 0
    meta: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    ranking: Ranking | None = None  # me boards: the whole board as ids and scores, instead of rows


def contest_meta(contest: Contest) -> dict[str, Any]:
    return {
        "id": contest.id,
        "name": contest.name,
        "kind": contest.kind,
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "currency": contest.currency,
        "scoring": contest.scoring,
        "target": contest.target,
        "goal": contest.goal,
        **({"big_deal": str(contest.big_deal)} if contest.big_deal is not None else {}),
        **(
            {"confirm": {"on": contest.confirm.on, "within_days": contest.confirm.within_days}}
            if contest.confirm
            else {}
        ),
    }


def core_rows(
    ranked: list[Ranked],
    which: str,
    snapshot: Snapshot,
    contest: Contest | None,
    provisional: dict[str, int] | None = None,
) -> list[Row]:
    """Rows of a board; in a contest that confirms deals each carries ``provisional``: the part of its score
    not yet confirmed (``provisional`` as ``Store.read_board`` read it)."""
    percent = contest is not None and contest.scoring == "percent_of_target"
    unconfirmed = provisional if contest is not None and contest.confirm is not None else None
    rows: list[Row] = []
    for row in ranked:
        item: Row = {"rank": row.rank, "id": row.id, "score": row.score}
        if which != "teams":
            rep = snapshot.directory.reps.get(row.id)
            item["team"] = rep.team if rep else None
        if percent:
            item["percent"] = row.score / 10
        if unconfirmed is not None:
            item["provisional"] = unconfirmed.get(row.id, 0)
        rows.append(item)
    return rows


async def read_view(
    spec: BoardSpec, store: Store, snapshot: Snapshot, *, limit: int, zone: Any, full: bool = False
) -> BoardView | None:
    """Read one board (None if it does not exist)."""
    redis: Redis = store.redis
    if spec.kind == "xp":
        period = window_keys(datetime.now(UTC), zone)[spec.which]
        seq, top = await read_xp_board(redis, spec.which, period, limit)
        ranked = competition_ranks(top)
        return BoardView(1, seq, core_rows(ranked, "reps", snapshot, None), len(ranked), extra={"period": period})
    contest = snapshot.contests.get(spec.contest_id)
    if contest is None:
        return None
    if spec.kind == "feed":
        k = keys.ContestKeys(contest.id, contest.epoch)
        pipe = redis.pipeline(transaction=True)
        pipe.hget(k.seq, "reps")
        pipe.lrange(keys.ContestKeys(contest.id).recent_wins, 0, FEED_ROWS - 1)
        seq, bells = await pipe.execute()
        rows = [feed_row(index + 1, json.loads(raw), snapshot.directory) for index, raw in enumerate(bells)]
        return BoardView(contest.epoch, int(seq or 0), rows, len(rows), contest_meta(contest))
    which = spec.which
    if spec.kind == "me":
        return await read_ranking(store, contest, which, FULL_ROWS)
    read = await store.read_board(
        contest.id, contest.epoch, which, limit=FULL_ROWS if full else limit, provisional=contest.confirm is not None
    )
    return BoardView(
        read.epoch,
        read.seq,
        core_rows(read.rows, which, snapshot, contest, read.provisional),
        read.total,
        contest_meta(contest),
    )


def feed_row(rank: int, bell: dict[str, Any], directory: Directory) -> Row:
    """A won deal as a row of the contest's feed, from its doorbell (the recent-wins list keeps doorbells)."""
    rep = directory.reps.get(bell["rep"])
    return {
        "rank": rank,
        "id": bell["event"].split(":", 1)[-1],
        "rep": bell["rep"],
        "team": rep.team if rep else None,
        "score": bell["points"],
        "amount": bell["amount"] or None,
        "at": datetime.fromtimestamp(bell.get("at", 0), UTC).isoformat(),
    }


def named(rows: list[Row], spec: BoardSpec, snapshot: Snapshot, public: bool) -> list[Row]:
    """Rows with display names: team names on team boards, initials for opted-out reps on public screens."""
    directory = snapshot.directory
    out = []
    for row in rows:
        if spec.kind == "contest" and spec.which == "teams":
            team = directory.teams.get(row["id"])
            out.append({**row, "name": team.name if team else row["id"]})
            continue
        rep_id: str = row["rep"] if "rep" in row else row["id"]
        rep = directory.reps.get(rep_id)
        name = directory.public_name(rep_id) if public else (rep.name if rep else rep_id)
        photo = directory.photo(rep_id, public)
        out.append(
            {
                "rank": row["rank"],
                "id": row["id"],
                "name": name,
                **({"photo": photo} if photo else {}),
                **{k: v for k, v in row.items() if k not in ("rank", "id")},
            }
        )
    return out


def snapshot_message(spec: BoardSpec, view: BoardView, snapshot: Snapshot, public: bool) -> dict[str, Any]:
    message: dict[str, Any] = {
        "op": "snapshot",
        "board": spec.board,
        "epoch": view.epoch,
        "seq": view.seq,
        "rows": named(view.rows, spec, snapshot, public),
        "total": view.total,
    }
    if view.meta is not None:
        message["contest"] = view.meta
    if spec.rep_level:
        message["team_names"] = {t.id: t.name for t in snapshot.directory.teams.values()}
    message.update(view.extra)
    return message


def diff_message(
    spec: BoardSpec,
    view: BoardView,
    rows: list[Row],
    removed: list[str],
    snapshot: Snapshot,
    public: bool,
    recovered: bool | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "op": "diff",
        "board": spec.board,
        "epoch": view.epoch,
        "seq": view.seq,
        "rows": named(rows, spec, snapshot, public),
        "removed": removed,
        "total": view.total,
    }
    if recovered is not None:
        message["recovered"] = recovered
    return message


class MeMessage(msgspec.Struct):
    """A phone's ``me`` message. Its fields are the message's keys in order (an ``UNSET`` one is left out), so
    msgspec encodes it straight to the JSON a dict of them gives, without building and walking a dict per
    frame; ``msgspec.to_builtins`` gives that dict (for msgpack)."""

    op: str
    board: str
    epoch: int
    seq: int
    contest: str
    rep: str
    of: int
    provisional: int | UnsetType = UNSET  # in contests that confirm deals (a ranked rep only)
    rank: int | None = None
    score: int = 0
    gap_to_next: int | None = None
    target: int | UnsetType | None = UNSET  # these three for a ranked rep only
    pace: dict[str, object] | UnsetType | None = UNSET
    recent: list[Row] | UnsetType = UNSET


def me_message(
    spec: BoardSpec,
    view: BoardView,
    rep_id: str,
    standing: Standing,
    contest: Contest,
    now: datetime,
    recent: list[Row],
) -> MeMessage:
    """A rep's own standing (found once per tick for every phone, ``standings.py``): rank, gap, target, pace."""
    rank, score, gap, provisional = standing
    if rank is None:
        return MeMessage("me", spec.board, view.epoch, view.seq, contest.id, rep_id, view.total, score=0)
    target = contest.target_for(rep_id)
    if target:
        points = score if contest.scoring != "percent_of_target" else score * target // 1000
        paced: dict[str, object] | None = pace(points, target, contest.starts_at, contest.ends_at, now).as_dict()
    else:
        paced = None
    return MeMessage(
        "me",
        spec.board,
        view.epoch,
        view.seq,
        contest.id,
        rep_id,
        view.total,
        UNSET if provisional is None else provisional,
        rank,
        score,
        gap,
        target,
        paced,
        mine_of(recent, rep_id),
    )


def mine_of(recent: list[Row], rep_id: str) -> list[Row]:
    """A rep's own latest wins among a contest's recent ones (the feed), newest first."""
    return [row for row in recent if row.get("rep") == rep_id][:5]


async def read_ranking(store: Store, contest: Contest, which: str, limit: int) -> BoardView:
    """A whole board for the phones, in one MULTI: ids and scores, with no row built per rep (no dict, no
    name), so 10,000 reps cost a few milliseconds per tick."""
    redis: Redis = store.redis
    k = keys.ContestKeys(contest.id, contest.epoch)
    zkey = board_key(k, which)
    pipe = redis.pipeline(transaction=True)
    pipe.hget(k.seq, seq_field(which))
    pipe.zrevrange(zkey, 0, limit - 1, withscores=True)
    pipe.zcard(zkey)
    if contest.confirm is not None:
        pipe.hgetall(k.rep_provisional)
    seq, members, total, *pending = await pipe.execute()
    ids = [text(member) for member, _ in members]
    scores = [int(composite) // TIME_SPAN for _, composite in members]
    provisional = {text(m): int(p) for m, p in pending[0].items()} if pending else None
    ranking = Ranking(ids, scores, provisional)
    return BoardView(contest.epoch, int(seq or 0), [], int(total), contest_meta(contest), ranking=ranking)


@dataclass(frozen=True)
class ScoresRead:
    """Some reps' scores on a board, with the board's seq and size at that moment (one MULTI)."""

    seq: int
    total: int
    scores: dict[str, int | None]  # None: not on the board


async def read_scores(store: Store, contest: Contest, epoch: int, which: str, reps: list[str]) -> ScoresRead:
    """The scores of the reps a tick's doorbells named, with the board's seq and size, in one MULTI: what
    moves a board held in memory (``server/live/ranking.py``) on, without reading its rows."""
    redis: Redis = store.redis
    k = keys.ContestKeys(contest.id, epoch)
    zkey = board_key(k, which)
    pipe = redis.pipeline(transaction=True)
    pipe.hget(k.seq, seq_field(which))
    pipe.zcard(zkey)
    for rep in reps:
        pipe.zscore(zkey, rep)
    seq, total, *composites = await pipe.execute()
    scores = {rep: None if c is None else score_of(c) for rep, c in zip(reps, composites, strict=True)}
    return ScoresRead(int(seq or 0), int(total), scores)


async def read_standings(
    store: Store, contest: Contest, epoch: int, which: str, reps: list[str]
) -> dict[str, Standing]:
    """The standings of reps below the rows a tick read, for every such rep at once: their scores in one
    pipeline, then the rank and next score above of each distinct score in another (ranks are competition
    ranks: 1 + how many score strictly more). A rep with no score on the board is ``UNRANKED``."""
    if not reps:
        return {}
    redis: Redis = store.redis
    k = keys.ContestKeys(contest.id, epoch)
    zkey = board_key(k, which)
    confirm = contest.confirm is not None
    pipe = redis.pipeline(transaction=False)
    for rep in reps:
        pipe.zscore(zkey, rep)
        if confirm:
            pipe.hget(k.rep_provisional, rep)
    answers = await pipe.execute()
    step = 2 if confirm else 1
    scores = {rep: score_of(c) for rep, c in zip(reps, answers[::step], strict=True) if c is not None}
    pending = dict(zip(reps, answers[1::2], strict=True)) if confirm else {}
    distinct = sorted(set(scores.values()))
    pipe = redis.pipeline(transaction=False)
    for score in distinct:
        pipe.zcount(zkey, score_floor(score + 1), "+inf")
        pipe.zrangebyscore(zkey, score_floor(score + 1), "+inf", start=0, num=1, withscores=True)
    places = await pipe.execute() if distinct else []
    by_score: dict[int, tuple[int, int | None]] = {}
    for index, score in enumerate(distinct):
        above, nearest = places[2 * index], places[2 * index + 1]
        by_score[score] = (1 + int(above), score_of(nearest[0][1]) - score if nearest else None)
    found: dict[str, Standing] = {}
    for rep in reps:
        if rep not in scores:
            found[rep] = UNRANKED
            continue
        rank, gap = by_score[scores[rep]]
        found[rep] = Standing(rank, scores[rep], gap, int(pending.get(rep) or 0) if confirm else None)
    return found


def rest_rows(
    ranked: list[Ranked],
    which: str,
    snapshot: Snapshot,
    public: bool,
    contest: Contest | None,
    provisional: dict[str, int] | None = None,
) -> list[Row]:
    """Rows as the REST leaderboards return them (the same shape as the websocket's)."""
    spec = BoardSpec("", "contest", contest.id if contest else "", which)
    return named(core_rows(ranked, which, snapshot, contest, provisional), spec, snapshot, public)
