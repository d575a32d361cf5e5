"""What a closed contest still needs, and the compact archive that answers for the rest.

A live contest keeps, per event, what lets it take the next one exactly: the dedupe set, per-deal records
(to undo a reversal), tie-break time sets, daily-cap groups, and each rep's ledger as a stream. Once no event
can change it any more, most of that is dead weight. Compaction folds each rep's ledger into one compressed
blob in the epoch's archive hash (the ledger API reads it in place of the stream, same lines, same cursors)
and drops the rest; the boards, totals, rosters and kept results stay as they are.

Two levels, by what can still arrive:
- ``closed``: an active contest past its grace period (and its confirmation window), results kept. A reversal
  of one of its deals can still come, late: it is surfaced for a manager, which needs to know the deal stood,
  so its deal records stay; everything else per event goes.
- ``archived``: nothing reaches it any more; its deal records go too.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime

import msgpack

from game.contests import Contest

CLOSED, ARCHIVED = "closed", "archived"
LEVELS = (CLOSED, ARCHIVED)  # ordered: a contest is compacted to a level once, never back

LEDGER_FIELD = "ledger:"  # archive field per rep: the rep's ledger lines, compressed
LEVEL_FIELD = "compacted"  # archive field: the level done

# The per-event keys of one epoch (named after ``e<epoch>:``) that compaction drops at each level; the
# ledger streams (``ledger:``) are folded into the archive first.
DROPPED_PREFIXES = {
    CLOSED: ("seen", "times:", "capgroup:", "caps", "pending", "rep_pending", "team_pending", "paid", "ledger:"),
    ARCHIVED: ("deals",),
}


def level_due(contest: Contest, now: datetime, results_kept: bool) -> str | None:
    """How far a contest may be compacted now: ``archived``, ``closed`` or None (it may still change)."""
    if contest.state == "archived":
        return ARCHIVED
    if contest.state == "active" and results_kept and now >= contest.confirmations_until:
        return CLOSED
    return None


def reaches(done: str | None, wanted: str) -> bool:
    """Whether compaction already done (``done``) covers the level ``wanted``."""
    return done is not None and LEVELS.index(done) >= LEVELS.index(wanted)


def dropped_at(level: str, suffix: str) -> bool:
    """Whether a key of the epoch (its name after ``e<epoch>:``) goes at this level of compaction."""
    prefixes = [p for name in LEVELS[: LEVELS.index(level) + 1] for p in DROPPED_PREFIXES[name]]
    return suffix.startswith(tuple(prefixes))


Lines = list[tuple[bytes, dict[bytes, bytes]]]  # stream entries as XRANGE answers them


def encode_ledger(lines: Sequence[tuple[bytes, Mapping[bytes, bytes]]]) -> bytes:
    """A rep's ledger lines (stream ids and fields, oldest first) as one compressed blob."""
    flat = [[entry_id, *[part for pair in fields.items() for part in pair]] for entry_id, fields in lines]
    return zlib.compress(msgpack.packb(flat, use_bin_type=True), 9)


def decode_ledger(blob: bytes) -> Lines:
    """The lines of ``encode_ledger``, as XRANGE would have answered them."""
    flat = msgpack.unpackb(zlib.decompress(blob), raw=True)
    return [(line[0], dict(zip(line[1::2], line[2::2], strict=True))) for line in flat]


def stream_id(entry_id: bytes | str) -> tuple[int, int]:
    """A stream id as a sortable pair."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)


def lines_after(lines: Lines, cursor: str, count: int) -> Lines:
    """At most ``count`` lines after ``cursor`` (``-``: from the first), as XRANGE ``(cursor + COUNT`` reads."""
    if cursor != "-":
        after = stream_id(cursor)
        lines = [line for line in lines if stream_id(line[0]) > after]
    return lines[:count]
