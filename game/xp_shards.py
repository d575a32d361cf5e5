"""XP split into shards by rep, and its boards read back as one.

Everything XP keeps of a rep lives in the rep's shard (``keys.xp_shard_of``: CRC-32 of the rep id), so the XP
writes of one organisation spread over several cluster slots and every script still touches one slot. An event
is applied in the shard of the rep it names. A correction (reversal or update) of a deal must reach the record of
the deal wherever it is, which the event alone cannot tell (an update may move a deal to another rep, a reversal
may arrive before its deal): it is applied in every shard, as sent in the shard of the rep it names and as a
plain reversal in the others. The shard holding the deal takes it back (the record knows its rep), the others keep
a tombstone, so the deal's original event, arriving in any shard later, meets a record and counts no more.
Corrections are rare: a few more script calls for them cost less than a lookup before every write.

Each shard holds its own part of every XP board (a sorted set per window and period). The whole board is their
merge, in the order one sorted set would give: by score, highest first, then by member, reverse byte order
(``ZREVRANGE``). A rep's rank is one more than the members of every shard scoring strictly more. The boards'
sequence number is the sum of the shards' counters: it moves on whenever any of them does.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import replace

from game.xp import XpChange

Scored = tuple[bytes, float]  # a member and its score, as ``ZREVRANGE ... WITHSCORES`` answers


def xp_parts(change: XpChange, home: int, shards: int) -> list[tuple[int, XpChange]]:
    """The (shard, change) script calls applying ``change``, whose rep's shard is ``home``: that shard alone,
    or, for a correction, every shard (the others take it as a reversal)."""
    if shards == 1 or not change.undo:
        return [(home, change)]
    reversal = replace(change, xp=0, is_deal=False, amount=None)
    return [(shard, change if shard == home else reversal) for shard in range(shards)]


def merged_top(shards: Iterable[Sequence[Scored]], limit: int) -> list[tuple[str, int]]:
    """The first ``limit`` rows of a board from each shard's first ``limit`` rows (enough: every row of the
    whole board's top is among its own shard's top)."""
    rows = heapq.merge(*shards, key=lambda scored: (scored[1], scored[0]), reverse=True)
    return [(member.decode(), int(score)) for member, score in list(rows)[:limit]]


def merged_rank(higher_per_shard: Iterable[int]) -> int:
    """A member's competition rank ("1, 2, 2, 4") from how many members of each shard score strictly more."""
    return 1 + sum(higher_per_shard)


def merged_seq(seqs: Iterable[bytes | str | int | None]) -> int:
    """The sequence number of the XP boards: the sum of every shard's counter (each only ever moves on)."""
    return sum(int(seq or 0) for seq in seqs)
