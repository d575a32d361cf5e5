"""The engine's Redis edge: write decided changes atomically, read boards consistently.

Each event is written as one idempotent script call per slot it touches — its event log shard (``{log}``,
``{log:<i>}``) and each contest it changes (``{c:<id>}``) — the log entry first. Each call is atomic and keyed by
the event, so a retry after any failure completes what is missing and never counts twice. On a single Redis
node this is one pipelined round trip (Redis runs it in order: the log entry before the changes). On a cluster
the slots live on different nodes and a pipeline is neither ordered nor atomic across them, so the log entries
are written first and the changes only once they exist (one more round trip): points never stand without their
event in the log, and what a failure or a crash leaves unwritten is completed by a retry or by the repair pass
(``server/services/repair.py``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import msgpack
import msgspec
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game import keys, log_record
from game.badges.awards import read_awards
from game.badges.facts import Fact
from game.contest_archive import LEDGER_FIELD, decode_ledger, lines_after
from game.events import Event
from game.log_shards import shard_of
from game.ranking import Ranked, competition_ranks, score_floor, score_of
from game.rosters import Regroup, TeamRoster
from game.scoring import ContestChange
from game.xp import CAP_RETENTION, FACTS_RETENTION, RETENTION, TALLY_UNDONE, TALLY_WON, XpChange, read_tally
from game.xp_shards import xp_parts

LUA_DIR = Path(__file__).parent / "lua"

# A stream read by our clients: ids and fields are bytes (no client decodes responses), and XRANGE never
# answers the nil ids or fields that redis-py's ``StreamEntry`` also allows (XCLAIM of deleted entries).
StreamEntries = list[tuple[bytes, dict[bytes, bytes]]]


# Lua shared by scripts: each library is put in front of the scripts that use it (one source, one SHA each).
SCRIPT_LIBRARIES = {
    "apply_contest": ("sorted_sets", "team_score", "deal_records", "contest_batch", "contest_steps"),
    "regroup_teams": ("team_score",),
    "apply_xp": ("sorted_sets", "xp_constants", "xp_records"),
}


def xp_constants() -> str:
    """game/xp.py's retentions and tally steps, and game/keys.py's rep buckets, as the constants of ``apply_xp.lua``
    (text, as Redis is handed numbers)."""
    windows = ", ".join(f"{window} = '{seconds}'" for window, seconds in RETENTION.items() if seconds > 0)
    return (
        f"local XP_RETENTION = {{{windows}}}\n"
        f"local CAP_RETENTION, FACTS_RETENTION = '{CAP_RETENTION}', '{FACTS_RETENTION}'\n"
        f"local TALLY_WON, TALLY_UNDONE = '{TALLY_WON}', '{TALLY_UNDONE}'\n"
        f"local XP_REP_BUCKETS = {keys.XP_REP_BUCKETS}"
    )


GENERATED_LIBRARIES: dict[str, Callable[[], str]] = {"xp_constants": xp_constants}


def lua_part(name: str) -> str:
    """A script or library: its file in ``game/lua``, or Lua made from Python's constants."""
    return GENERATED_LIBRARIES[name]() if name in GENERATED_LIBRARIES else (LUA_DIR / f"{name}.lua").read_text()


def load_lua(name: str) -> str:
    """A script's source with the libraries it uses in front of it. A batched script run alone (a cluster's
    calls) is given a batch context of its own, whose work left for the end runs when it ends."""
    if name == "run_batch":
        return batch_source()
    libraries = "\n".join(lua_part(part) for part in SCRIPT_LIBRARIES.get(name, ()))
    if name not in BATCHED_SCRIPTS:
        return f"{libraries}\n{lua_part(name)}"
    return (
        f"{lua_part('batch_context')}\n{libraries}\nlocal function run(KEYS, ARGV, BATCH)\n{lua_part(name)}\nend\n"
        "local context = new_batch_context()\nlocal reply = run(KEYS, ARGV, context)\n"
        "finish_batch_context(context)\nreturn reply"
    )


# The write scripts a single Redis runs in batches (``run_batch.lua``), at most BATCH_CALLS calls per batch:
# a batch runs atomically, so it is kept short enough not to hold other clients up for long.
BATCHED_SCRIPTS = ("append_event", "apply_contest", "apply_xp")
BATCH_CALLS = 64


def batch_source() -> str:
    """``run_batch.lua`` with each batched script in front of it as a function of (KEYS, ARGV). The libraries the
    scripts use come once, ahead of them: inside a script's function they would be made again on every call."""
    libraries = dict.fromkeys(library for name in BATCHED_SCRIPTS for library in SCRIPT_LIBRARIES.get(name, ()))
    shared = "\n".join(lua_part(library) for library in libraries)
    functions = "\n".join(
        f"SCRIPTS[{name!r}] = function(KEYS, ARGV, BATCH)\n{(LUA_DIR / f'{name}.lua').read_text()}\nend"
        for name in BATCHED_SCRIPTS
    )
    context = lua_part("batch_context")
    return f"local SCRIPTS = {{}}\n{context}\n{shared}\n{functions}\n{(LUA_DIR / 'run_batch.lua').read_text()}"


def batch_call(calls: Sequence[tuple[str, Sequence[Any], Sequence[Any]]]) -> bytes:
    """The argument of ``run_batch.lua``: the key lists (each sent once), then per call its script, the index of its
    key list, its argument count and arguments, as msgpack values one after the other."""
    key_lists: dict[tuple[Any, ...], int] = {}
    values: list[Any] = [None]  # the key lists, known at the end
    for name, script_keys, args in calls:
        index = key_lists.setdefault(tuple(script_keys), len(key_lists) + 1)
        values += (name, index, len(args))
        values += (a if isinstance(a, (bytes, str)) else str(a) for a in args)
    values[0] = [list(k) for k in key_lists]
    return packed_stream(values)


def as_asked(change: ContestChange, parts: tuple[bytes, bytes, bytes]) -> tuple[bytes, bytes, bytes]:
    """The change's hits, its deal's record and its ledger line as most events write them: every hit applied as
    asked (no daily cap took any of it), the record of an original deal nobody waits to confirm (``deal_records.lua``:
    pack_applied_record with due, pp, auto 0 and orig 1; pack_ledger_line with the points asked and the note
    'apply'). The script writes them as they come where that holds, and packs its own where not."""
    record_head, line_head, line_tail = parts
    hits = b"".join(packed_stream([hit.rule, hit.points, hit.points, hit.cap_per_day or 0]) for hit in change.hits)
    asked = sum(hit.points for hit in change.hits)
    count = len(change.hits)
    record = array_header(13 + 4 * count) + b"\x01" + record_head + packed_stream([0, 0, 0, 1]) + hits
    line = array_header(10 + 4 * count) + line_head + packed_stream([asked, "apply"]) + line_tail + hits
    return hits, record, line


def array_header(count: int) -> bytes:
    """The msgpack header of an array of ``count`` entries (``deal_records.lua``: array_header)."""
    return bytes((0x90 + count,)) if count < 16 else b"\xdc" + count.to_bytes(2, "big")


def packed_stream(values: list[Any]) -> bytes:
    """Values packed one after the other (an array's entries without its header), as strings (Lua reads no bin
    type): ``cmsgpack.unpack`` gives them back as that many values."""
    count = len(values)
    header = 1 if count < 16 else 3 if count < 65536 else 5
    return msgpack.packb(values, use_bin_type=False)[header:]


def unpack_batch_replies(packed: bytes) -> list[Any]:
    """The replies of a batch's calls (``run_batch.lua`` packs them), as a pipeline would have given them: text as
    bytes, a failed call's error as a ResponseError in its place."""
    replies = msgpack.unpackb(packed, raw=True)
    return [ResponseError(reply[b"err"].decode()) if isinstance(reply, dict) else reply for reply in replies]


def encode_change(change: ContestChange) -> bytes:
    """The change as the write script reads it: its values packed one after the other in the order of
    ``apply_contest.lua``'s first line, which decodes them straight into locals (a table of named fields cost Redis
    more to build than the decoding itself); what a change lacks is nil, and the absent ones at the end are left
    out. The event's own fields only: the contest epoch's are in ``encode_contest_fixed``."""
    received = bool(change.received_epoch)  # the settle fields mean something only for a deal under review
    original = change.deal_key == change.event_key  # an original's deal is itself, in its own bucket
    parts = packed_parts(change)
    values: list[Any] = [
        change.event_key,
        keys.bucket(change.event_key),
        keys.bucket(change.deal_key, keys.TEAM_TIME_BUCKETS),
        [[hit.rule, hit.points, hit.cap_per_day or 0] for hit in change.hits],
        change.rep,
        keys.rep_total_bucket(change.rep),  # hashed here: Lua hashes a string's bytes slowly
        change.day,
        str(change.occurred_epoch),  # as text: the script gives it to Redis as it comes
        change.event_type,
        *parts,
        *(as_asked(change, parts) if change.hits else (None, None, None)),
        None if change.quiet else bell_head(change),
        change.team or None,
        change.team_sizes.get(change.team, 0) if change.team else None,
        change.amount,
        None if original else change.deal_key,
        None if original else keys.bucket(change.deal_key),
        change.undo or None,
        change.division or None,
        change.target or None,
        change.team_target or None,
        1 if change.replay else None,
        1 if change.quiet else None,
        change.received_epoch or None,
        change.settle_seconds if received and change.settle_seconds else None,
        1 if received and change.auto_confirm else None,
        1 if received and change.confirms else None,
        1 if received and change.settle_only else None,
    ]
    while values[-1] is None:
        values.pop()
    return packed_stream(values)


def encode_contest_fixed(change: ContestChange) -> bytes:
    """The fields every change of a contest epoch carries alike (the script's ARGV[4]): a batch's script decodes
    them once, not once per event (each field of a change costs Redis a string and a table slot to decode)."""
    fixed: dict[str, Any] = {"epoch": change.epoch, "ends": change.ends_epoch}
    if change.team_mode != "sum":  # the script sums a team unless told
        fixed["mode"] = change.team_mode
        fixed["best_n"] = change.best_n if change.team_mode == "best" else 0
    return msgpack.packb(fixed)


def packed_parts(change: ContestChange) -> tuple[bytes, bytes, bytes]:
    """The fields of the deal record and ledger lines the script writes that the change knows, packed here as
    msgpack values one after the other (``deal_records.lua``: pack_applied_record, pack_ledger_line): the
    record's from rep to day, a line's from event to rule version, and its from deal to currency. The
    script packs only what it decides around them, without a table per record or line."""
    own_event = "" if change.event_key == change.deal_key else change.event_key
    size = change.team_sizes.get(change.team, 0) if change.team else 0
    record = [change.rep, change.team or "", own_event, size, change.target, change.team_target, change.division or ""]
    named_deal = "" if change.deal_key == change.event_key else change.deal_key
    tail = [named_deal, change.amount or "", change.customer or "", change.currency or ""]
    return (
        packed_stream([*record, change.day]),
        packed_stream([change.event_key, change.event_type, change.occurred_epoch, change.version]),
        packed_stream(tail),
    )


def bell_head(change: ContestChange) -> str:
    """The doorbell of a change without what only the write script knows (its seq, the points applied, the
    record beaten): a JSON object left open, which the script completes. Encoding it here spares Redis a JSON
    encoder per event."""
    fixed = {
        "contest": change.contest_id,
        "epoch": change.epoch,
        "rep": change.rep,
        "event": change.event_key,
        "type": change.event_type,
        "amount": change.amount or "",
        "at": change.occurred_epoch,
    }
    return msgspec.json.encode(fixed).decode()[:-1]


def contest_script_keys(contest_id: str, epoch: int) -> list[str]:
    k = keys.ContestKeys(contest_id, epoch)
    return [
        k.seen, k.deals, k.rep_totals, k.rep_board, k.team_totals, k.team_board, k.caps, k.seq,
        k.rep_times_prefix, k.team_times_prefix, k.team_members_prefix, k.meta, k.ledger_prefix,
        k.division_board_prefix, k.cap_group_prefix, k.recent_wins, k.team_sums,
        k.pending, k.rep_pending, k.team_pending, k.rep_provisional, k.team_provisional, k.paid, k.team_rosters,
    ]  # fmt: skip


def regroup_script_keys(contest_id: str, epoch: int) -> list[str]:
    k = keys.ContestKeys(contest_id, epoch)
    return [k.team_totals, k.team_board, k.team_sums, k.team_members_prefix, k.team_times_prefix, k.team_rosters, k.seq]


def encode_regroup(regroup: Regroup) -> bytes:
    return msgpack.packb(
        {
            "contest": regroup.contest_id,
            "epoch": regroup.epoch,
            "mode": regroup.team_mode,
            "best_n": regroup.best_n,
            "ends": regroup.ends_epoch,
            "teams": [[team, roster.encode()] for team, roster in sorted(regroup.rosters.items())],
            "quiet": 1 if regroup.quiet else 0,
        }
    )


# The mask of every standard XP window, as a deal record holds it (``xp_records.lua``: XP_ALL_STANDARD).
XP_ALL_STANDARD = 31


def xp_record(change: XpChange) -> bytes:
    """The msgpack bytes of the XP deal record ``apply_xp.lua`` writes (``{1, rep, xp, cap kind, facts, windows, day,
    week, orig}``, ``xp_records.lua``) with the XP asked and orig = 1, as most events write it: the script only puts
    back the XP a cap took or orig = 0, so Redis makes no table nor runs an encoder per event. Strings and numbers as
    cmsgpack packs them (no str8, no bin; the smallest integer form)."""
    values = (1, change.rep, change.xp, change.kind if change.cap else "", int(change.is_deal), XP_ALL_STANDARD,
              change.day, change.windows["week"], 1)  # fmt: skip
    return msgpack.packb(values, use_bin_type=False)


def encode_xp(change: XpChange, bell: str, command: str) -> bytes:
    """The argument of ``apply_xp.lua``: msgpack values one after the other, which the script decodes straight
    into locals, all text or bytes (the script hands them to Redis as they are), as few as tell the change: the
    month, quarter and all-time periods follow from the day, the deal record comes packed as most events write it,
    and what most events lack comes last, sent only as far as an event has it (a deal's facts, joined as they are
    kept; the deal a correction names; undo)."""
    original = change.deal_key == change.event_key
    facts = f"{change.amount or '0'}|{change.occurred_epoch}|{'1' if change.new_customer else '0'}"  # as kept
    optional = [
        facts if change.is_deal else "",
        "" if original else change.deal_key,
        "" if original else keys.bucket(change.deal_key),
        "1" if change.undo else "",
    ]
    while optional and optional[-1] == "":
        optional.pop()
    return packed_stream(
        [
            change.event_key,
            keys.bucket(change.event_key),
            change.rep,
            str(change.xp),
            str(change.cap or 0),
            f"{change.kind}|{change.rep}" if change.cap else "",  # the field of its daily cap
            change.day,
            change.windows["week"],
            keys.xp_rep_bucket(change.rep),
            xp_record(change),
            bell,
            command,
            *optional,
        ]
    )


def xp_script_keys(shard: int = 0) -> list[str]:
    return keys.XpKeys(shard).script_keys()


def xp_calls(change: XpChange) -> list[tuple[int, XpChange]]:
    """The (shard, change) script calls applying an XP change (``game/xp_shards.py``)."""
    return xp_parts(change, keys.xp_shard_of(change.rep), keys.xp_shards())


@dataclass(frozen=True)
class Plan:
    """Everything one event writes: the log entry, its contest changes and its XP change."""

    event: Event
    changes: Sequence[ContestChange]
    xp: XpChange | None = None


@dataclass(frozen=True)
class WriteResult:
    new: bool
    errors: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()  # contests whose epoch moved on: re-decide and write again
    undone_at: int = 0  # epoch seconds of the deal a reversal or update took back (0: none)


@dataclass(frozen=True)
class BoardRead:
    epoch: int
    seq: int
    rows: list[Ranked]
    total: int
    provisional: dict[str, int] = field(default_factory=dict)  # member -> provisional points (when asked)


def board_key(k: keys.ContestKeys, board: str) -> str:
    """``reps``, ``teams`` or ``div:<division>`` → the sorted set holding that board."""
    if board == "reps":
        return k.rep_board
    if board == "teams":
        return k.team_board
    if board.startswith("div:"):
        return k.division_board(board[4:])
    raise ValueError(f"unknown board {board!r}")


def seq_field(board: str) -> str:
    return "teams" if board == "teams" else "reps"


@dataclass(frozen=True)
class BadgeStanding:
    """What a rep's live badges are judged on, read in one go: the facts version, the deal facts of the
    months asked for, the lifetime deal count, and the awards held (instance key -> record)."""

    rep: str
    version: str
    facts: list[Fact]
    lifetime: int
    held: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class BadgeSync:
    """Badge changes for one rep: awards (instance key, record) and revocations (instance key, the record
    held). ``version`` is the facts version a judgement rests on; None for a decision by time."""

    rep: str
    version: str | None = None
    awards: Sequence[tuple[str, Mapping[str, Any]]] = ()
    revocations: Sequence[tuple[str, Mapping[str, Any]]] = ()


def badge_change(rep: str, action: str, record: Mapping[str, Any]) -> str:
    """A badge change as the feed and the badge doorbell carry it."""
    return json.dumps({"rep": rep, "action": action, **record}, ensure_ascii=False)


def encode_badge_sync(sync: BadgeSync) -> bytes:
    return msgpack.packb(
        {
            "award": [
                [key, json.dumps(record), badge_change(sync.rep, "awarded", record)] for key, record in sync.awards
            ],
            "revoke": [[key, badge_change(sync.rep, "revoked", record)] for key, record in sync.revocations],
        }
    )


class LogShardsChanged(RuntimeError):
    """``ARENA_LOG_SHARDS`` differs from the number of shards the event log was first written with."""


class XpShardsChanged(RuntimeError):
    """``ARENA_XP_SHARDS`` differs from the number of shards XP was first written with."""


SCRIPTS = ("append_event", "apply_contest", "apply_xp", "sync_badges", "regroup_teams", "run_batch")

# How long a write of events waits for its replicas' acknowledgement (``WAIT``) before it is refused as an outage.
REPLICA_WAIT_MS = 2000


class NotReplicated(RedisTimeoutError):
    """Fewer replicas than required acknowledged a write in time. The write may stand on the master only, which
    a failover would lose: it is an outage to the client (503), whose retry is idempotent and waits again."""


async def rings_sharded(redis: Redis) -> bool:
    """Whether contest doorbells ring on sharded pub/sub (SPUBLISH/SSUBSCRIBE on the contest's slot): on a
    Redis Cluster whose every primary runs Redis 7 or newer. Classic PUBLISH in a cluster reaches every node;
    a single Redis, a Sentinel set-up or a cluster of Redis 6.2 keep classic pub/sub."""
    cluster: object = redis  # the cluster client stands in for a ``Redis`` (server/redis_connection.py)
    if not isinstance(cluster, RedisCluster):
        return False
    infos = await cluster.execute_command("INFO", "server", target_nodes=RedisCluster.PRIMARIES)
    versions = [str(info.get("redis_version", "0")) for info in infos.values()]
    return bool(versions) and all(int(version.split(".")[0]) >= 7 for version in versions)


def bell_command(channel: str, sharded: bool) -> str:
    """The command that rings ``channel``: SPUBLISH for a channel on a slot (a contest's doorbell) when doorbells
    are sharded, else PUBLISH."""
    return "SPUBLISH" if sharded and keys.channel_has_slot(channel) else "PUBLISH"


class Store:
    """Redis access for the engine. Scripts are loaded once and called by EVALSHA.

    Pipelines call EVALSHA directly (redis-py's script objects would ask SCRIPT EXISTS before every
    pipeline: one more round trip each time); if Redis lost the scripts (a restart, SCRIPT FLUSH) the
    whole pipeline is sent again after loading them, which is safe because every script is idempotent.
    """

    def __init__(self, redis: Redis, *, log_shards: int = 1, wait_replicas: int = 0) -> None:
        self.redis = redis
        self.log_shards = log_shards  # the event log's shards (``game/log_shards.py``)
        # Replicas that must hold a write of events before it is acknowledged (Sentinel: a failover promotes a
        # replica, and Redis replicates asynchronously); 0: the master's answer is enough.
        self.wait_replicas = wait_replicas
        self._sources = {name: load_lua(name) for name in SCRIPTS}
        self._sha = {name: hashlib.sha1(source.encode()).hexdigest() for name, source in self._sources.items()}
        self._loaded = False
        self._shards_checked = False
        # The log shards whose unbucketed dedupe hash (written before the buckets) exists, read with the check of
        # the shards: no version since writes one, so a shard without it stays without it.
        self._unbucketed_log_dedupe: frozenset[int] = frozenset()
        self._xp_shards_checked = False
        self._unbucketed_xp: frozenset[int] = frozenset()  # likewise, XP shards with unbucketed seen or deals
        self.sharded = False  # contest doorbells on sharded pub/sub (known once the scripts are loaded)
        self.cluster = isinstance(cast(object, redis), RedisCluster)  # several nodes: the log is written first
        # Told of each pipeline's script and seconds (the server's metrics); the engine itself keeps no numbers.
        self.on_round_trip: Callable[[str, float], None] | None = None

    async def check_log_shards(self) -> None:
        """Refuse to log with another number of shards than the log was first written with (kept in Redis the
        first time): an event sent again would miss its dedupe entry in another shard and count twice. Notes which
        shards still hold an unbucketed dedupe hash (``_log_keys``)."""
        kept = int(
            await self.redis.eval(
                load_lua("log_shards"), 3, keys.EVENT_LOG_SHARDS, keys.event_log(0), keys.event_seen(0), self.log_shards
            )
        )
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(self.log_shards):
            pipe.exists(keys.event_seen(shard))
        found = await pipe.execute()
        self._unbucketed_log_dedupe = frozenset(shard for shard, exists in enumerate(found) if exists)
        if kept != self.log_shards:
            raise LogShardsChanged(
                f"the event log is written in {kept} shard(s) but ARENA_LOG_SHARDS is {self.log_shards}: set it back "
                f"to {kept}, or move the log (python -m scripts.events export, then import into an empty Redis)"
            )
        self._shards_checked = True

    async def check_xp_shards(self) -> None:
        """Refuse to write XP with another number of shards than it was first written with (kept in Redis, in
        shard 0's slot, the first time; XP written before it could be sharded counts as one shard): a rep's
        events would be applied in another shard than their dedupe records and caps, and count twice. Notes which
        shards still hold the unbucketed ``seen`` or ``deals`` hash of earlier versions (``_xp_call``)."""
        wanted = keys.xp_shards()
        kept = int(
            await self.redis.eval(
                load_lua("log_shards"), 3, keys.XP_SHARD_COUNT, keys.XP_SEQ, keys.XP_DEAL_COUNTS, wanted
            )
        )
        pipe = self.redis.pipeline(transaction=False)
        for shard in keys.all_xp_keys():
            pipe.exists(shard.seen, shard.deals)
        found = await pipe.execute()
        self._unbucketed_xp = frozenset(shard for shard, exists in enumerate(found) if exists)
        if kept != wanted:
            raise XpShardsChanged(
                f"XP is written in {kept} shard(s) but ARENA_XP_SHARDS is {wanted}: set it back to {kept}, or rebuild "
                f"XP into an empty Redis (python -m scripts.events export, then import with ARENA_XP_SHARDS={wanted})"
            )
        self._xp_shards_checked = True

    async def prepare(self) -> None:
        """Load the scripts (on every primary of a cluster) and learn how doorbells ring, once."""
        if not self._loaded:
            await self._load_scripts()

    async def _load_scripts(self) -> None:
        # On a cluster SCRIPT LOAD goes to every node (redis-py's routing for it), so any slot can run them.
        for name, source in self._sources.items():
            self._sha[name] = await self.redis.script_load(source)
        self.sharded = await rings_sharded(self.redis)
        self._loaded = True

    def _bell(self, contest_id: str) -> tuple[str, str]:
        """The last two arguments of a contest script: its doorbell channel and the command that rings it."""
        channel = keys.doorbell_channel(contest_id)
        return channel, bell_command(channel, self.sharded)

    async def write_events(self, planned: Sequence[Plan], *, log: bool = True) -> list[WriteResult]:
        """Log and apply a batch of events in one round trip; returns, per event, whether it was new.

        With ``log=False`` only the contest changes are written (replays of events already logged).
        """
        results, _ = await self.write_events_reading(planned, log=log)
        return results

    async def write_events_reading_config(self, planned: Sequence[Plan]) -> tuple[list[WriteResult], bytes | None]:
        """``write_events``, plus the configuration version read in the same round trip: ingestion checks that
        the registry it planned with is still current."""
        return await self.write_events_reading(planned, read=keys.CONFIG_VERSION)

    async def write_events_reading(
        self, planned: Sequence[Plan], *, log: bool = True, read: str | None = None
    ) -> tuple[list[WriteResult], bytes | None]:
        """``write_events``, plus the value of key ``read`` fetched in the same round trip (ingestion
        uses it to check that the configuration it planned with is still current)."""
        if not planned and read is None:
            return [], None
        if not self._loaded:
            await self._load_scripts()
        if log and not self._shards_checked:
            await self.check_log_shards()
        if not self._xp_shards_checked and any(plan.xp is not None for plan in planned):
            await self.check_xp_shards()
        commands: list[tuple[Any, ...]] = []
        log_commands: list[int] = []  # positions of the log entries in ``commands``
        xp_counts: list[int] = []  # per plan, the XP script calls (one per shard it writes)
        for plan in planned:
            if log:
                shard = shard_of(plan.event.key, self.log_shards)
                log_commands.append(len(commands))
                field, record = log_record.pack_event(plan.event)
                log_keys, bucket = self._log_keys(shard), keys.log_seen_bucket(plan.event.key)
                commands.append(
                    (
                        "EVALSHA",
                        self._sha["append_event"],
                        len(log_keys),
                        *log_keys,
                        plan.event.key,
                        field,
                        record,
                        bucket,
                    )
                )
            for change in plan.changes:
                script_keys = contest_script_keys(change.contest_id, change.epoch)
                commands.append(
                    (
                        "EVALSHA",
                        self._sha["apply_contest"],
                        len(script_keys),
                        *script_keys,
                        encode_change(change),
                        *self._bell(change.contest_id),
                        encode_contest_fixed(change),
                    )
                )
            parts = xp_calls(plan.xp) if plan.xp is not None else []
            xp_counts.append(len(parts))
            commands.extend(self._xp_call(shard, part) for shard, part in parts)
        if read is not None:
            commands.append(("GET", read))
        if self.wait_replicas:  # never on a cluster (refused in the settings): WAIT names no slot
            commands.append(("WAIT", self.wait_replicas, REPLICA_WAIT_MS))
        replies = await self._run_log_first(commands, log_commands)
        if self.wait_replicas and int(replies.pop()) < self.wait_replicas:
            raise NotReplicated(f"fewer than {self.wait_replicas} replicas acknowledged within {REPLICA_WAIT_MS} ms")
        results: list[WriteResult] = []
        position = 0
        for plan, xp_count in zip(planned, xp_counts, strict=True):
            new = True
            if log:
                log_reply = replies[position]
                if isinstance(log_reply, Exception):
                    raise log_reply
                new = int(log_reply[0]) == 1
                position += 1
            errors: list[str] = []
            stale: list[str] = []
            count = len(plan.changes)
            for change, reply in zip(plan.changes, replies[position : position + count], strict=True):
                if isinstance(reply, Exception):
                    errors.append(f"{change.contest_id}: {reply}")
                elif int(reply[0]) == -1 and not change.replay:
                    stale.append(change.contest_id)
            position += count
            undone_at = 0
            for reply in replies[position : position + xp_count]:
                if isinstance(reply, Exception):
                    errors.append(f"xp: {reply}")
                else:
                    undone_at = max(undone_at, int(reply[2]))
            position += xp_count
            results.append(WriteResult(new=new, errors=tuple(errors), stale=tuple(stale), undone_at=undone_at))
        if read is not None:
            value = replies[position]
            return results, None if isinstance(value, Exception) else value
        return results, None

    def _log_keys(self, shard: int) -> list[str]:
        """The keys of ``append_event.lua`` in a log shard: the name of its dedupe hashes and its stream, then the
        unbucketed dedupe hash only where that exists (an event meets none there otherwise, and a read costs Redis
        a call)."""
        named = [keys.event_seen(shard), keys.event_log(shard)]
        return [*named, keys.event_seen(shard)] if shard in self._unbucketed_log_dedupe else named

    def _xp_call(self, shard: int, change: XpChange) -> tuple[Any, ...]:
        """EVALSHA of ``apply_xp.lua`` in one XP shard, ringing that shard's doorbell."""
        xp_keys = keys.XpKeys(shard)
        script_keys = xp_keys.script_keys(unbucketed=shard in self._unbucketed_xp)
        bell = xp_keys.channel
        return ("EVALSHA", self._sha["apply_xp"], len(script_keys), *script_keys,
                encode_xp(change, bell, bell_command(bell, self.sharded)))  # fmt: skip

    def _contest_call(
        self, script: str, script_keys: list[str], payload: bytes, contest_id: str, *after: bytes
    ) -> tuple[Any, ...]:
        """EVALSHA of a contest script: its keys, the encoded payload, the contest's doorbell channel, then any
        arguments after them."""
        return ("EVALSHA", self._sha[script], len(script_keys), *script_keys, payload, *self._bell(contest_id), *after)

    async def _run_log_first(self, commands: list[tuple[Any, ...]], log_commands: list[int]) -> list[Any]:
        """Run ``commands``; on a cluster, those at ``log_commands`` (log entries) first, and the rest only if
        every log entry was written (a failed one raises: its event is not acknowledged, nothing else ran)."""
        if not self.cluster or not log_commands:
            return await self._run(commands)
        logged = await self._run([commands[i] for i in log_commands])
        for reply in logged:
            if isinstance(reply, Exception):
                raise reply
        chosen = set(log_commands)
        rest = [i for i in range(len(commands)) if i not in chosen]
        replies: list[Any] = [None] * len(commands)
        for i, reply in zip(log_commands, logged, strict=True):
            replies[i] = reply
        for i, reply in zip(rest, await self._run([commands[i] for i in rest]), strict=True):
            replies[i] = reply
        return replies

    async def missing_writes(self, planned: Sequence[Plan]) -> list[Plan]:
        """Of logged events' plans, the parts not written yet, in one round trip of one HMGET per dedupe hash:
        what the repair pass writes again. A contest or XP has seen an event when its ``seen`` bucket holds it
        or, for a deal's original event (marked in its deal's record), when it keeps a record of that deal —
        a record made by a later event of the deal leaves nothing for the original to change. The unbucketed
        hashes of earlier versions count too. A settlement-only change leaves no mark, so it is always kept
        (writing it again does nothing)."""
        contest_keys: dict[tuple[str, int], keys.ContestKeys] = {}

        def probes(event_key: str, deal_key: str, seen: str, deals: str) -> tuple[tuple[str, str], ...]:
            if event_key == deal_key:
                return (f"{deals}:{keys.bucket(deal_key)}", deal_key), (deals, deal_key)
            return (f"{seen}:{keys.bucket(event_key)}", event_key), (seen, event_key)

        def contest_probes(change: ContestChange) -> tuple[tuple[str, str], ...]:
            at = (change.contest_id, change.epoch)
            k = contest_keys.get(at) or contest_keys.setdefault(at, keys.ContestKeys(*at))
            return probes(change.event_key, change.deal_key, k.seen, k.deals)

        def xp_probes(change: XpChange) -> list[tuple[tuple[str, str], ...]]:  # per shard it writes
            return [
                probes(part.event_key, part.deal_key, keys.XpKeys(shard).seen, keys.XpKeys(shard).deals)
                for shard, part in xp_calls(change)
            ]

        asked: dict[str, list[str]] = {}  # hash -> members asked for
        for plan in planned:
            wanted = [*(p for c in plan.changes for p in contest_probes(c))]
            wanted += [p for part in xp_probes(plan.xp) for p in part] if plan.xp is not None else ()
            for key, member in wanted:
                asked.setdefault(key, []).append(member)
        pipe = self.redis.pipeline(transaction=False)
        for key, fields in asked.items():
            pipe.hmget(key, fields)
        replies = await pipe.execute() if asked else []
        found = {
            (key, member)
            for (key, members), values in zip(asked.items(), replies, strict=True)
            for member, value in zip(members, values, strict=True)
            if value is not None
        }
        missing: list[Plan] = []
        for plan in planned:
            changes = [c for c in plan.changes if c.settle_only or not any(p in found for p in contest_probes(c))]
            xp_done = plan.xp is None or all(any(p in found for p in part) for part in xp_probes(plan.xp))
            xp = None if xp_done else plan.xp
            if changes or xp is not None:
                missing.append(Plan(plan.event, changes, xp))
        return missing

    async def _run(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """One pipeline; if Redis had lost scripts, only the commands it refused run again once they are loaded.
        (Another task may be loading them meanwhile, so some commands may already have run: never twice.)"""
        replies = await self._pipeline(commands)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing and commands[-1][0] == "WAIT":
            missing.append(len(commands) - 1)  # what is written again must reach the replicas too
        if missing:
            await self._load_scripts()
            again = await self._pipeline([commands[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """``_send``, timed for ``on_round_trip`` under the name of the first script it calls."""
        started = time.perf_counter()
        try:
            return await self._send(commands)
        finally:
            if self.on_round_trip is not None:
                self.on_round_trip(self._script_name(commands), time.perf_counter() - started)

    def _script_name(self, commands: list[tuple[Any, ...]]) -> str:
        sha = next((command[1] for command in commands if command[0] == "EVALSHA"), None)
        return next((name for name, known in self._sha.items() if known == sha), "other")

    async def _send(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """One pipeline of ``commands``; on a single Redis, runs of write-script calls go as batches."""
        sent, stands_for = self._batched(commands)
        pipe = self.redis.pipeline(transaction=False)
        for command in sent:
            pipe.execute_command(*command)
        replies: list[Any] = []
        for reply, count in zip(await pipe.execute(raise_on_error=False), stands_for, strict=True):
            if count == 0:
                replies.append(reply)
            elif isinstance(reply, Exception):
                replies += [reply] * count  # the batch did not run: neither did any of its calls
            else:
                replies += unpack_batch_replies(reply)
        return replies

    def _batched(self, commands: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], list[int]]:
        """The commands to send, and how many write-script calls each stands for (0: a command as given).
        A cluster's calls stay one per slot (a batch is one script call, on one node)."""
        if self.cluster:
            return commands, [0] * len(commands)
        names = {self._sha[name]: name for name in BATCHED_SCRIPTS}
        sent: list[tuple[Any, ...]] = []
        stands_for: list[int] = []
        group: list[tuple[str, Sequence[Any], Sequence[Any]]] = []

        def close_group() -> None:
            if group:
                sent.append(("EVALSHA", self._sha["run_batch"], 0, batch_call(group)))
                stands_for.append(len(group))
                group.clear()

        for command in commands:
            name = names.get(command[1]) if command[0] == "EVALSHA" else None
            if name is None:
                close_group()
                sent.append(command)
                stands_for.append(0)
                continue
            count = int(command[2])
            group.append((name, command[3 : 3 + count], command[3 + count :]))
            if len(group) == BATCH_CALLS:
                close_group()
        close_group()
        return sent, stands_for

    async def read_board(
        self,
        contest_id: str,
        epoch: int,
        board: str,
        *,
        start: int = 0,
        limit: int = 50,
        provisional: bool = False,
    ) -> BoardRead:
        """Rows ``start..start+limit`` of a board with its epoch and seq, read in one MULTI so that the
        rows and the sequence number agree; with ``provisional``, each member's points not yet confirmed
        (contests that confirm deals keep only the members that have some)."""
        k = keys.ContestKeys(contest_id, epoch)
        zkey = board_key(k, board)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(k.seq, seq_field(board))
        pipe.zrevrange(zkey, start, start + limit - 1, withscores=True)
        pipe.zcard(zkey)
        if provisional:
            pipe.hgetall(k.team_provisional if board == "teams" else k.rep_provisional)
        seq, members, total, *pending = await pipe.execute()
        rows = [(text(member), score_of(score)) for member, score in members]
        first_rank = None
        if start > 0 and rows:
            first_rank = 1 + await self.redis.zcount(zkey, score_floor(rows[0][1] + 1), "+inf")
        ranked = competition_ranks(rows, start=start, first_rank=first_rank)
        unconfirmed = {text(member): int(points) for member, points in pending[0].items()} if pending else {}
        return BoardRead(epoch=epoch, seq=int(seq or 0), rows=ranked, total=int(total), provisional=unconfirmed)

    # --- provisional points: deals waiting for confirmation -------------------------------------------

    async def due_deals(self, contest_id: str, epoch: int, now: datetime, *, count: int = 500) -> list[str]:
        """Provisional deals whose settlement moment has come (at most ``count``, soonest first)."""
        pending = keys.ContestKeys(contest_id, epoch).pending
        due = await self.redis.zrangebyscore(pending, "-inf", int(now.timestamp()), 0, count)
        return [text(cast(bytes, deal)) for deal in due]

    async def pending_until(self, contest_id: str, epoch: int) -> tuple[int, datetime | None]:
        """How many deals are still provisional, and the moment the last of them settles (None: none)."""
        pending = keys.ContestKeys(contest_id, epoch).pending
        pipe = self.redis.pipeline(transaction=True)
        pipe.zcard(pending)
        pipe.zrevrange(pending, 0, 0, withscores=True)
        count, last = await pipe.execute()
        return int(count), datetime.fromtimestamp(int(last[0][1]), UTC) if last else None

    async def apply_changes(self, changes: Sequence[ContestChange]) -> int:
        """Apply contest changes that no logged event carries (the settlement sweep) in one round trip;
        how many changed a board."""
        if not changes:
            return 0
        if not self._loaded:
            await self._load_scripts()
        commands = [
            self._contest_call(
                "apply_contest",
                contest_script_keys(change.contest_id, change.epoch),
                encode_change(change),
                change.contest_id,
                encode_contest_fixed(change),
            )
            for change in changes
        ]
        changed = 0
        for reply in await self._run(commands):
            if isinstance(reply, Exception):
                raise reply
            changed += int(reply[2])
        return changed

    async def rank_of(self, contest_id: str, epoch: int, board: str, member: str) -> int | None:
        """Zero-based position of a member on a board (None when absent)."""
        position = await self.redis.zrevrank(board_key(keys.ContestKeys(contest_id, epoch), board), member)
        # redis-py types the reply of ZREVRANK ... WITHSCORE too (a list); without it the reply is a number.
        return None if position is None else int(cast(int, position))

    def queue_members(
        self,
        pipe: Any,
        contest_id: str,
        epoch: int,
        reps: Sequence[str],
        teams: Sequence[str],
        divisions: dict[str, str],
        ring: bool = True,
    ) -> None:
        """Queue on ``pipe``: participants onto the boards with zero points (never lowering a score)."""
        k = keys.ContestKeys(contest_id, epoch)
        if reps:
            pipe.zadd(k.rep_board, dict.fromkeys(reps, 0), nx=True)
        if teams:
            pipe.zadd(k.team_board, dict.fromkeys(teams, 0), nx=True)
        for rep, division in divisions.items():
            pipe.zadd(k.division_board(division), {rep: 0}, nx=True)
        pipe.hsetnx(k.meta, "epoch", epoch)
        pipe.hincrby(k.seq, "reps", 1)
        pipe.hincrby(k.seq, "teams", 1)
        if ring:  # PUBLISH would be refused in a cluster pipeline; either command rings the contest's doorbell
            pipe.execute_command(*reversed(self._bell(contest_id)), b'{"roster":true}')

    async def ensure_members(
        self,
        contest_id: str,
        epoch: int,
        reps: Sequence[str],
        teams: Sequence[str],
        divisions: dict[str, str],
        ring: bool = True,
    ) -> None:
        await self.prepare()
        pipe = self.redis.pipeline(transaction=False)
        self.queue_members(pipe, contest_id, epoch, reps, teams, divisions, ring)
        await pipe.execute()

    async def read_ledger(
        self, contest_id: str, epoch: int, rep_id: str, *, cursor: str = "-", count: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A rep's ledger entries after ``cursor`` (oldest first) and the cursor of the next page."""
        contest_keys = keys.ContestKeys(contest_id, epoch)
        start = "-" if cursor == "-" else f"({cursor}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(contest_keys.ledger(rep_id), min=start, max="+", count=count + 1)
        pipe.hget(contest_keys.archive, LEDGER_FIELD + rep_id)  # a closed contest's ledger, once compacted
        entries, archived = await pipe.execute()
        if archived is not None:
            entries = lines_after(decode_ledger(archived), cursor, count + 1)
        page = entries[:count]
        items = [{"id": text(entry_id), **ledger_line(fields)} for entry_id, fields in page]
        next_cursor = text(page[-1][0]) if len(entries) > count else None
        return items, next_cursor

    async def recent_wins_of(self, contest_ids: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Each contest's recent-wins doorbells (the last 50 deals, newest first), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for contest_id in contest_ids:
            pipe.lrange(keys.ContestKeys(contest_id).recent_wins, 0, -1)
        return [[json.loads(bell) for bell in bells] for bells in await pipe.execute()]

    async def regroup_teams(self, regroups: Sequence[Regroup]) -> list[int]:
        """Write each contest epoch's team rosters and rescore the teams whose roster changed, in one round
        trip (one atomic script call per contest epoch); per call, how many team rows changed (their board's
        viewers are told)."""
        if not regroups:
            return []
        commands = [
            self._contest_call(
                "regroup_teams",
                regroup_script_keys(regroup.contest_id, regroup.epoch),
                encode_regroup(regroup),
                regroup.contest_id,
            )
            for regroup in regroups
        ]
        changed: list[int] = []
        for reply in await self._run(commands):
            if isinstance(reply, Exception):
                raise reply
            changed.append(int(reply[0]))
        return changed

    async def team_rosters(self, contest_id: str, epoch: int) -> dict[str, TeamRoster]:
        """The team rosters a contest epoch keeps (none before the first regroup)."""
        raw = await self.redis.hgetall(keys.ContestKeys(contest_id, epoch).team_rosters)
        return {text(team): TeamRoster.decode(roster) for team, roster in raw.items()}

    # --- badges: one write path for every award and revocation --------------------------------

    async def read_badge_standings(self, wanted: Sequence[tuple[str, Sequence[str]]]) -> list[BadgeStanding]:
        """For each (rep, months): what the rep's live badges are judged on, all in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for rep, months in wanted:
            xp_keys = keys.xp_keys_of(rep)
            pipe.hget(xp_keys.tally(rep), rep)
            pipe.hget(xp_keys.facts_version, rep)
            pipe.hget(xp_keys.deal_counts, rep)
            for month in months:
                pipe.hgetall(keys.xp_facts(rep, month))
            pipe.hgetall(keys.badges(rep))
        replies = await pipe.execute()
        standings: list[BadgeStanding] = []
        position = 0
        for rep, months in wanted:
            tally, version, deals = (int(reply or 0) for reply in replies[position : position + 3])
            facts = [
                Fact.parse(text(deal), text(raw))
                for reply in replies[position + 3 : position + 3 + len(months)]
                for deal, raw in reply.items()
            ]
            held = dict(read_awards(replies[position + 3 + len(months)]))
            position += 4 + len(months)
            counted = read_tally(tally, version, deals)
            standings.append(BadgeStanding(rep, counted.version, facts, counted.deals, held))
        return standings

    async def held_badges(self, rep: str) -> dict[str, dict[str, Any]]:
        """The awards a rep holds: instance key -> record."""
        return dict(read_awards(await self.redis.hgetall(keys.badges(rep))))

    async def sync_badges(self, syncs: Sequence[BadgeSync]) -> list[int | None]:
        """Write badge awards and revocations through ``sync_badges.lua``, one call per rep, in one round
        trip. Per sync: None when the facts it was judged on moved on (judge again), else how many of its
        changes took effect (an award already held or a revocation of one no longer held does nothing);
        those were stored, put on the badge feed and announced on the badge doorbell."""
        if not syncs:
            return []
        if not self._loaded:
            await self._load_scripts()
        commands = [
            (
                "EVALSHA",
                self._sha["sync_badges"],
                4,
                keys.xp_keys_of(sync.rep).facts_version,
                keys.badges(sync.rep),
                keys.xp_keys_of(sync.rep).badge_feed,
                keys.xp_keys_of(sync.rep).tally(sync.rep),
                sync.rep,
                "" if sync.version is None else sync.version,
                encode_badge_sync(sync),
                keys.BADGE_CHANNEL,
                keys.BADGE_FEED_MAX,
            )
            for sync in syncs
        ]
        outcomes: list[int | None] = []
        for reply in await self._run(commands):
            if isinstance(reply, Exception):
                raise reply
            outcomes.append(int(reply[1]) if int(reply[0]) == 1 else None)
        return outcomes

    # --- time-decided work: results, comebacks, the month's record ---------------------------------

    async def has_results(self, contest_id: str) -> bool:
        """Whether a contest's final results are kept already."""
        return bool(await self.redis.exists(keys.ContestKeys(contest_id).results))

    async def results(self, contest_id: str) -> dict[str, Any] | None:
        """A contest's kept final results, or None while none are kept."""
        (kept,) = await self.results_of([contest_id])
        return kept

    async def results_of(self, contest_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Several contests' kept results in one round trip (one GET each: each lives in its own slot)."""
        pipe = self.redis.pipeline(transaction=False)
        for contest_id in contest_ids:
            pipe.get(keys.ContestKeys(contest_id).results)
        return [cast("dict[str, Any]", json.loads(raw)) if raw else None for raw in await pipe.execute()]

    async def keep_results(self, contest_id: str, results: Mapping[str, Any]) -> bool:
        """Keep a contest's final results unless some are kept already; whether these were kept."""
        stored = json.dumps(results, ensure_ascii=False)
        return bool(await self.redis.set(keys.ContestKeys(contest_id).results, stored, nx=True))

    async def replace_results(self, contest_id: str, results: Mapping[str, Any]) -> None:
        """Keep corrected final results in place of the earlier ones (after a rescore of a closed contest)."""
        await self.redis.set(keys.ContestKeys(contest_id).results, json.dumps(results, ensure_ascii=False))

    async def deals_standing(self, asked: Sequence[tuple[str, int, str]]) -> list[bool]:
        """For each (contest, epoch, deal key): whether the deal stands on that contest's boards (applied and not
        reversed), in one round trip: a reversal or update of it would change that contest."""
        pipe = self.redis.pipeline(transaction=False)
        for contest_id, epoch, deal_key in asked:
            contest_keys = keys.ContestKeys(contest_id, epoch)
            pipe.hget(contest_keys.deals_bucket(deal_key), deal_key)
            pipe.hget(contest_keys.deals, deal_key)  # written before records were bucketed
        replies = await pipe.execute() if asked else []
        return [deal_stands(bucketed or legacy) for bucketed, legacy in zip(replies[::2], replies[1::2], strict=True)]

    async def ring_contest(self, contest_id: str, message: Mapping[str, Any]) -> None:
        """Ring a contest's doorbell with a message for its screens (a champion crowned, ...)."""
        await self.prepare()
        channel, command = self._bell(contest_id)
        ring = self.redis.spublish if command == "SPUBLISH" else self.redis.publish
        await ring(channel, json.dumps(message))

    async def whole_board(self, contest_id: str, epoch: int, board: str) -> list[Ranked]:
        """Every row of a board, ranked."""
        members = await scored_members(self.redis, board_key(keys.ContestKeys(contest_id, epoch), board))
        return competition_ranks([(text(member), score_of(score)) for member, score in members])

    async def mark_low_water(self, contest_id: str, epoch: int, reps: Sequence[str], at: str) -> None:
        """Note that these reps were seen in the bottom half of the contest (the first time is kept)."""
        if not reps:
            return
        low_water = keys.ContestKeys(contest_id, epoch).low_water
        pipe = self.redis.pipeline(transaction=False)
        for rep in reps:
            pipe.hsetnx(low_water, rep, at)
        await pipe.execute()

    async def low_water_marks(self, contest_id: str, epoch: int) -> list[str]:
        """The reps ever seen in the bottom half of the contest."""
        return [text(rep) for rep in await self.redis.hkeys(keys.ContestKeys(contest_id, epoch).low_water)]

    async def month_record(self, month: str) -> tuple[str, str] | None:
        """The month's record as decided (rep, deal; the deal is empty in old decisions), or None."""
        decided = await self.redis.get(f"{keys.XP_CLOSED_PREFIX}{month}")
        if decided is None:
            return None
        rep, _, deal = text(decided).partition("|")
        return rep, deal

    async def decide_month_record(self, month: str, rep: str, deal: str) -> None:
        """Keep the month's record holder and deal (for a little over two years)."""
        await self.redis.set(f"{keys.XP_CLOSED_PREFIX}{month}", f"{rep}|{deal}", ex=800 * 86400)

    async def note_late_dealers(self, late: Collection[tuple[str, str]]) -> None:
        """(month, rep) pairs: the rep's deals of a closed month changed after its record may have been decided
        (a deal logged late, a refund); the scheduler checks those months' records against them."""
        if late:
            await self.redis.sadd(keys.XP_LATE_DEALERS, *(f"{month}|{rep}" for month, rep in late))

    async def late_dealers(self) -> dict[str, list[str]]:
        """Month -> the reps noted by ``note_late_dealers``, taken off the list."""
        popped = cast(list[bytes], await self.redis.spop(keys.XP_LATE_DEALERS, 10_000) or [])
        late: dict[str, list[str]] = {}
        for member in sorted(text(m) for m in popped):
            month, _, rep = member.partition("|")
            late.setdefault(month, []).append(rep)
        return late

    async def month_dealers(self, month: str) -> list[str]:
        """The reps with won deals in the month (each XP shard keeps its own reps'), in a stable order."""
        pipe = self.redis.pipeline(transaction=False)
        for shard in keys.all_xp_keys():
            pipe.smembers(shard.dealers(month))
        return sorted({text(rep) for members in await pipe.execute() for rep in members})

    async def month_facts(self, rep: str, month: str) -> list[Fact]:
        """A rep's standing deal facts of the month."""
        raw = await self.redis.hgetall(keys.xp_facts(rep, month))
        return [Fact.parse(text(deal), text(value)) for deal, value in raw.items()]

    async def deal_stands(self, rep: str, month: str, deal: str) -> bool:
        """Whether the deal is still among the rep's facts of the month (not reversed)."""
        return bool(await self.redis.hexists(keys.xp_facts(rep, month), deal))

    async def ledger_total(self, contest_id: str, epoch: int, rep_id: str) -> int:
        k = keys.ContestKeys(contest_id, epoch)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(k.rep_totals_bucket(rep_id), rep_id)
        pipe.hget(k.rep_totals, rep_id)  # an epoch begun before totals were bucketed
        bucketed, single = await pipe.execute()
        return int(bucketed or single or 0)

    async def rep_totals(self, contest_id: str, epoch: int) -> dict[str, int]:
        """Every rep's exact total in the epoch, whichever layout it was begun with."""
        k = keys.ContestKeys(contest_id, epoch)
        pipe = self.redis.pipeline(transaction=False)
        for bucket in range(keys.REP_TOTAL_BUCKETS):
            pipe.hgetall(f"{k.rep_totals}:{bucket}")
        pipe.hgetall(k.rep_totals)
        return {text(rep): int(points) for fields in await pipe.execute() for rep, points in fields.items()}


def deal_stands(raw: bytes | None) -> bool:
    """Whether a deal record (``game/lua/deal_records.lua``: an array, or a map before compact records) is a
    deal applied and not reversed."""
    record = msgpack.unpackb(raw, raw=False) if raw else None
    if isinstance(record, list):
        return bool(record[0] == 1)
    return isinstance(record, dict) and record.get("tomb") != 1


LEDGER_FIELDS = ("event", "type", "at", "v", "points", "note", "deal", "amount", "customer", "cur")
HIT_SIZE = 4  # rule, points, asked, cap


def ledger_line(fields: Mapping[bytes, bytes]) -> dict[str, Any]:
    """A ledger entry as a dict: a compact line (``l``: a positional array, ``game/lua/deal_records.lua``) or
    one written before them (``e``: a map). Hits read ``[rule, points, cap group, asked, cap]``; the cap group
    of a compact line is empty (nothing shows it)."""
    if b"l" not in fields:
        return cast("dict[str, Any]", msgpack.unpackb(fields[b"e"], raw=False))
    values = msgpack.unpackb(fields[b"l"], raw=False)
    line = dict(zip(LEDGER_FIELDS, values, strict=False))
    line["deal"] = line["deal"] or line["event"]
    for optional in ("amount", "customer", "cur"):
        if line[optional] == "":
            del line[optional]
    flat = values[len(LEDGER_FIELDS) :]
    line["hits"] = [[flat[i], flat[i + 1], "", flat[i + 2], flat[i + 3]] for i in range(0, len(flat), HIT_SIZE)]
    return line


async def read_stream(redis: Redis, stream: str, start: int | str, end: int | str, *, count: int) -> StreamEntries:
    """XRANGE: a stream's entries from ``start`` to ``end`` (ids, or ``-`` and ``+``), oldest first, at most
    ``count``."""
    return cast(StreamEntries, await redis.xrange(stream, min=start, max=end, count=count))


async def newest_entries(redis: Redis, stream: str, *, count: int) -> StreamEntries:
    """XREVRANGE: a stream's newest ``count`` entries, newest first."""
    return cast(StreamEntries, await redis.xrevrange(stream, count=count))


async def scored_members(redis: Redis, key: str, start: int = 0, end: int = -1) -> list[tuple[bytes, float]]:
    """ZREVRANGE ... WITHSCORES: a sorted set's members from ``start`` to ``end``, highest first, with their
    scores."""
    # redis-py's reply type also covers ranges read without scores (members alone).
    return cast("list[tuple[bytes, float]]", await redis.zrevrange(key, start, end, withscores=True))


def text(value: bytes | str) -> str:
    """A reply as text: our clients read bytes, redis-py's types allow str (clients that decode)."""
    return value.decode() if isinstance(value, bytes) else value
