"""The daily and weekly 战报: when it is due (pure) and what it says (standings, movers, champions, badges).

A digest is due at a channel's local time in the organisation's time zone (``"18:00"``, ``"fri 18:00"``).
The notifier remembers the last slot it sent per channel and kind, so a digest goes out once even with
several processes, and one missed by more than ``STALE_AFTER`` (the server was down) is skipped rather
than sent late. Movers compare the board with the one kept at the channel's previous digest of that kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from game.contests import Contest
from server.notifications.channels import WEEKDAYS, Channel
from server.notifications.store import BoardSnapshot
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

STALE_AFTER = timedelta(hours=6)
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_CONTESTS = 3
TOP = 5
MOVERS = 3
MAX_BADGES = 8
BOARD_READ = 1000


def last_slot(now: datetime, zone: ZoneInfo, kind: str, spec: str) -> datetime:
    """The latest moment at or before ``now`` when the digest of ``kind`` was due (an aware datetime)."""
    local = now.astimezone(zone)
    day, _, clock = spec.partition(" ") if kind == "weekly" else ("", "", spec)
    hour, minute = (int(part) for part in clock.split(":"))
    slot = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if kind == "weekly":
        slot -= timedelta(days=(local.weekday() - WEEKDAYS.index(day)) % 7)
    if slot > local:
        slot -= PERIODS[kind]  # wall-clock arithmetic: the same local time across a daylight-saving change
    return slot


def period_label(slot: datetime, kind: str) -> str:
    if kind == "daily":
        return f"{slot:%Y-%m-%d}"
    return f"{slot - PERIODS[kind] + timedelta(days=1):%Y-%m-%d} – {slot:%Y-%m-%d}"


def digest_contests(contests: Iterable[Contest], channel: Channel, start: datetime, end: datetime) -> list[Contest]:
    """The channel's contests that ran during the period: live ones first, then the ones ending soonest."""
    running = [
        c
        for c in contests
        if channel.follows(c.id) and c.state in ("active", "paused") and c.starts_at < end and c.ends_at > start
    ]
    running.sort(key=lambda c: (c.ends_at <= end, c.ends_at))
    return running[:MAX_CONTESTS]


@dataclass(frozen=True)
class Row:
    id: str
    rank: int
    score: int


def movers(rows: list[Row], before: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """The biggest gains since the previous snapshot (ties: the better rank now), with the rank change."""
    gains = []
    for row in rows:
        previous = before.get(row.id)
        gained = row.score - (previous[0] if previous else 0)
        if gained > 0:
            gains.append((gained, -row.rank, row, previous[1] if previous else None))
    gains.sort(key=lambda g: (g[0], g[1]), reverse=True)
    return [
        {"rep": row.id, "gained": gained, "before": rank, "after": row.rank} for gained, _, row, rank in gains[:MOVERS]
    ]


def snapshot_value(rows: list[Row]) -> str:
    return json.dumps({row.id: [row.score, row.rank] for row in rows}, separators=(",", ":"))


async def board_rows(arena: Arena, contest: Contest) -> list[Row]:
    read = await arena.store.read_board(contest.id, contest.epoch, "reps", limit=BOARD_READ)
    return [Row(row.id, row.rank, row.score) for row in read.rows]


async def baseline(arena: Arena, channel: Channel, kind: str, contests: list[Contest]) -> list[BoardSnapshot]:
    """Boards to remember when a channel's digest starts, so its first digest already has movers."""
    return [BoardSnapshot(channel.id, kind, c.id, snapshot_value(await board_rows(arena, c))) for c in contests]


async def build(
    arena: Arena, channel: Channel, kind: str, slot: datetime, snapshot: Snapshot
) -> tuple[dict[str, Any], list[BoardSnapshot]]:
    """The digest's data (names resolved, formatted later per language) and the boards to remember."""
    start = slot - PERIODS[kind]
    directory = snapshot.directory
    contests = digest_contests(snapshot.contests.values(), channel, start, slot)
    sections: list[dict[str, Any]] = []
    remember: list[BoardSnapshot] = []
    for contest in contests:
        rows = await board_rows(arena, contest)
        before = await arena.notifications.board_snapshot(channel.id, kind, contest.id)
        remember.append(BoardSnapshot(channel.id, kind, contest.id, snapshot_value(rows)))
        unit = "percent" if contest.scoring == "percent_of_target" else "points"
        top = [{"rank": r.rank, "name": directory.public_name(r.id), "score": r.score} for r in rows[:TOP] if r.score]
        moved = (
            [{**m, "name": directory.public_name(m["rep"])} for m in movers(rows, before)] if before is not None else []
        )
        sections.append({"id": contest.id, "name": contest.name, "unit": unit, "top": top, "movers": moved})
    champions: list[dict[str, Any]] = []
    for contest in snapshot.contests.values():
        if not channel.follows(contest.id) or not start < contest.ends_at <= slot:
            continue
        results = await arena.store.results(contest.id) or {}
        if results.get("final") and results.get("champion"):
            champions.append({"contest_name": contest.name, "name": directory.public_name(results["champion"])})
    start_ms, end_ms = int(start.timestamp() * 1000), int(slot.timestamp() * 1000)
    names = {b.id: {"zh-CN": b.name_zh, "en": b.name_en} for b in snapshot.badges}
    badges: list[dict[str, Any]] = []
    for _id, change in await arena.progress.badge_changes_between(start_ms, end_ms, count=500):
        if change.get("action") == "awarded" and channel.wants_badge(change, snapshot.contests, directory, True):
            badge = change.get("badge", "")
            badges.append({"name": directory.public_name(change["rep"]), "badge_name": names.get(badge, badge)})
    data = {
        "kind": kind,
        "period": period_label(slot, kind),
        "contests": sections,
        "champions": champions,
        "badges": badges[-MAX_BADGES:],
    }
    return data, remember
