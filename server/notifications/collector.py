"""What happened since the last look, read from durable sources and turned into notifications per channel.

Sources, each with a cursor in ``NOTIFY_CURSORS``:

* ``wins:<contest>`` — the contest's recent-wins list (``apply_contest.lua`` keeps the last 50 deal
  doorbells, newest first); the cursor is the ``epoch:seq`` of the newest one seen, so a rescore's new
  epoch counts as newer. Lead changes are judged at the same time from the top of the board
  (``leader:<contest>``).
* ``badges`` — the badge feed stream (awards from the badge worker and the scheduler); the cursor is the
  last stream id.
* ``won:<contest>`` — set once a closed contest's final results were announced.
* ``digest:<channel>:<kind>`` — the last daily/weekly slot sent.

The very first run only takes a baseline (nothing old is announced). Deals that occurred more than
``MAX_AGE`` before they were collected (a backfill, a CSV import) are not celebrated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.directory import Directory
from server.notifications import digest
from server.notifications.channels import Channel
from server.notifications.recognition import collect_recognition
from server.notifications.store import NotifyStore, Plan
from server.services.registry import Registry, Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.notify")
MAX_AGE = timedelta(days=3)
WON_LOOKBACK = timedelta(days=30)
BADGE_BATCH = 500
RANK_ROWS = 10


def parse_position(raw: str | None) -> tuple[int, int] | None:
    if not raw:
        return None
    epoch, _, seq = raw.partition(":")
    return int(epoch), int(seq)


def unit_of(contest: Contest) -> str:
    return "percent" if contest.scoring == "percent_of_target" else "points"


def _champion_before(corrections: list[dict[str, Any]], directory: Any) -> str | None:
    """The public name of who held rank 1 before these corrections (from their first change of rank 1)."""
    for correction in corrections:
        for change in correction["changes"]:
            if change.get("old_rank") == 1:
                return str(directory.public_name(change["rep"]))
    return None


@dataclass
class Look:
    """One look at the sources: what every collector reads and where it writes its findings."""

    now: datetime
    channels: list[Channel]
    cursors: dict[str, str]
    snapshot: Snapshot
    plan: Plan
    first_run: bool  # only a baseline is taken: nothing old is announced

    def offer(self, item: dict[str, Any], kind: str, contest: str, amount: str | None = None) -> None:
        """Queue ``item`` for every channel that wants this kind of news of this contest."""
        self.plan.items.extend((c.id, item) for c in self.channels if c.wants(kind, contest, amount))

    def recently_ended(self) -> list[Contest]:
        """Contests that ended within ``WON_LOOKBACK``: their results may still be announced or corrected."""
        return [
            c
            for c in self.snapshot.contests.values()
            if c.state == "active" and c.status_at(self.now) == "ended" and self.now - c.ends_at < WON_LOOKBACK
        ]


class Collector:
    def __init__(self, arena: Arena, store: NotifyStore) -> None:
        self.arena = arena
        self.store = store

    async def collect(self, now: datetime, channels: list[Channel]) -> Plan:
        plan = Plan()
        cursors = await self.store.cursors()
        first_run = "started" not in cursors
        if first_run:
            plan.move("started", None, now.isoformat())
        look = Look(now, channels, cursors, await self.arena.registry.current(), plan, first_run)
        await self._wins(look)
        await self._won(look)
        await self._corrected(look)
        await self._badges(look)
        await collect_recognition(self.arena, look, MAX_AGE)
        await self._digests(look)
        return plan

    # Deals and lead changes ------------------------------------------------------------------------

    async def _wins(self, look: Look) -> None:
        cursors = look.cursors
        live = Registry.accepting(look.snapshot, look.now)
        if not live:
            return
        lists = await self.arena.store.recent_wins_of([contest.id for contest in live])
        for contest, entries in zip(live, lists, strict=True):
            name = f"wins:{contest.id}"
            cursor = parse_position(cursors.get(name))
            positions = [(int(e["epoch"]), int(e["seq"])) for e in entries]
            newest = max(positions, default=(contest.epoch, 0))
            after = max(newest, cursor) if cursor else newest
            look.plan.move(name, cursors.get(name), f"{after[0]}:{after[1]}")
            if look.first_run:
                continue  # a baseline: what happened before the notifier existed is not news
            fresh = sorted(
                (e for e, p in zip(entries, positions, strict=True) if cursor is None or p > cursor),
                key=lambda e: (int(e["epoch"]), int(e["seq"])),
            )
            if cursor is not None and len(entries) >= 50 and positions and min(positions) > cursor:
                log.warning(
                    "contest %s: 50 or more wins since the last look; any older ones were not announced", contest.id
                )
            if fresh:
                await self._announce_deals(look, contest, fresh)

    async def _announce_deals(self, look: Look, contest: Contest, fresh: list[dict[str, Any]]) -> None:
        directory = look.snapshot.directory
        board = await self.arena.store.read_board(contest.id, contest.epoch, "reps", limit=RANK_ROWS)
        ranks = {row.id: row.rank for row in board.rows if row.score > 0}
        events = await self.arena.event_log.logged([e["event"] for e in fresh])
        unit = unit_of(contest)
        oldest = (look.now - MAX_AGE).timestamp()
        for entry in fresh:
            if float(entry.get("at") or 0) < oldest:
                continue
            event = events.get(entry["event"], {})
            rep = directory.reps.get(entry["rep"])
            team = directory.teams.get(rep.team) if rep is not None and rep.team else None
            amount = str(entry.get("amount") or event.get("amount") or "")
            data = {
                "contest": contest.id,
                "contest_name": contest.name,
                "rep": entry["rep"],
                "rep_name": directory.public_name(entry["rep"]),
                "team_name": team.name if team else "",
                "amount": amount,
                "currency": event.get("currency") or contest.currency,
                "customer": event.get("customer") or "",
                "points": int(entry.get("points", 0)),
                "rank": ranks.get(entry["rep"]),
                "unit": unit,
            }
            item = {"id": f"deal:{contest.id}:{entry['epoch']}:{entry['seq']}", "kind": "deal", "data": data}
            look.offer(item, "deal", contest.id, amount or "0")
        leader = board.rows[0] if board.rows and board.rows[0].score > 0 else None
        name = f"leader:{contest.id}"
        previous = look.cursors.get(name)
        if leader is None or leader.id == previous:
            return
        look.plan.move(name, previous, leader.id)
        if not previous or previous not in directory.reps:
            return
        last = fresh[-1]
        item = {
            "id": f"lead:{contest.id}:{last['epoch']}:{last['seq']}",
            "kind": "lead_change",
            "data": {
                "contest": contest.id,
                "contest_name": contest.name,
                "rep": leader.id,
                "rep_name": directory.public_name(leader.id),
                "previous": previous,
                "previous_name": directory.public_name(previous),
                "score": leader.score,
                "unit": unit,
            },
        }
        look.offer(item, "lead_change", contest.id)

    # Contests won -----------------------------------------------------------------------------------

    async def _won(self, look: Look) -> None:
        closed = [c for c in look.recently_ended() if f"won:{c.id}" not in look.cursors]
        if not closed:
            return
        directory, now = look.snapshot.directory, look.now
        kept = await self.arena.store.results_of([contest.id for contest in closed])
        for contest, results in zip(closed, kept, strict=True):
            if not results or not results.get("final"):
                continue  # the scheduler has not crowned anyone yet
            look.plan.move(f"won:{contest.id}", None, "1")
            finalized = datetime.fromisoformat(results.get("finalized_at") or now.isoformat())
            if look.first_run or now - finalized > MAX_AGE:
                continue
            champion, best_team = results.get("champion"), results.get("best_team")
            team = directory.teams.get(best_team) if best_team else None
            standings = results.get("standings") or []
            data = {
                "contest": contest.id,
                "contest_name": contest.name,
                "champion": champion,
                "champion_name": directory.public_name(champion) if champion else None,
                "champion_score": next((r["score"] for r in standings if r["id"] == champion), 0),
                "team": best_team,
                "team_name": team.name if team else (best_team or ""),
                "podium": [
                    {"rank": r["rank"], "name": directory.public_name(r["id"]), "score": r["score"]}
                    for r in standings[:3]
                ],
                "unit": unit_of(contest),
                **prize_news(results, directory),
            }
            item = {"id": f"won:{contest.id}", "kind": "contest_won", "data": data}
            look.offer(item, "contest_won", contest.id)

    async def _corrected(self, look: Look) -> None:
        """Each correction of a closed contest's results that moved someone, once (``corrected:<contest>``
        counts the corrections told); a correction is never a new champion celebration."""
        closed = look.recently_ended()
        if not closed:
            return
        directory = look.snapshot.directory
        kept = await self.arena.store.results_of([contest.id for contest in closed])
        for contest, results in zip(closed, kept, strict=True):
            corrections = (results or {}).get("corrections") or []
            name = f"corrected:{contest.id}"
            told = int(look.cursors.get(name) or 0)
            if len(corrections) <= told:
                continue
            look.plan.move(name, look.cursors.get(name), str(len(corrections)))
            if look.first_run:
                continue
            if not any(correction["changes"] for correction in corrections[told:]):
                continue
            latest = corrections[-1]
            champion = (results or {}).get("champion")
            data = {
                "contest": contest.id,
                "contest_name": contest.name,
                "reason": latest["reason"],
                "champion_name": directory.public_name(champion) if champion else None,
                "previous_name": _champion_before(corrections[told:], directory),
                "changes": [
                    {**change, "name": directory.public_name(change["rep"])}
                    for correction in corrections[told:]
                    for change in correction["changes"]
                ],
            }
            item = {"id": f"corrected:{contest.id}:{len(corrections)}", "kind": "contest_corrected", "data": data}
            look.offer(item, "contest_won", contest.id)

    # Badges -----------------------------------------------------------------------------------------

    async def _badges(self, look: Look) -> None:
        progress, snapshot = self.arena.progress, look.snapshot
        cursor = look.cursors.get("badges")
        if look.first_run or cursor is None:
            look.plan.move("badges", cursor, await progress.newest_badge_change() or "0-0")
            return
        entries = await progress.badge_changes_after(cursor, BADGE_BATCH)
        if not entries:
            return
        look.plan.move("badges", cursor, entries[-1][0])
        definitions = {b.id: b for b in snapshot.badges}
        directory = snapshot.directory
        oldest = look.now - MAX_AGE
        for entry_id, change in entries:
            if change.get("action") != "awarded":
                continue
            awarded = change.get("awarded_at")
            if awarded and datetime.fromisoformat(awarded) < oldest:
                continue
            definition = definitions.get(change.get("badge", ""))
            rep = directory.reps.get(change.get("rep", ""))
            team = directory.teams.get(rep.team) if rep is not None and rep.team else None
            change["kind"] = definition.kind if definition else ""
            data = {
                "rep": change.get("rep"),
                "rep_name": directory.public_name(change.get("rep", "")),
                "team_name": team.name if team else "",
                "badge": change.get("badge"),
                "badge_kind": change["kind"],
                "badge_name": {"zh-CN": definition.name_zh, "en": definition.name_en} if definition else None,
                "period": change.get("period"),
                "contest": change.get("contest"),
                "amount": str(Decimal(change["amount"])) if change.get("amount") else None,
            }
            item = {"id": f"badge:{entry_id}", "kind": "badge", "data": data}
            wanted = (c for c in look.channels if c.wants_badge(change, snapshot.contests, directory))
            look.plan.items.extend((channel.id, item) for channel in wanted)

    # Digests ----------------------------------------------------------------------------------------

    async def _digests(self, look: Look) -> None:
        now, plan, zone = look.now, look.plan, self.arena.settings.zone
        for channel in look.channels:
            if "digest" not in channel.events:
                continue
            for kind, spec in channel.digest.items():
                slot = digest.last_slot(now, zone, kind, spec)
                name = f"digest:{channel.id}:{kind}"
                sent = look.cursors.get(name)
                if sent == slot.isoformat():
                    continue
                plan.move(name, sent, slot.isoformat())
                if sent is None:  # a new channel: its first digest is the next slot; remember today's boards
                    running = digest.digest_contests(look.snapshot.contests.values(), channel, now, now + timedelta(1))
                    plan.snapshots += await digest.baseline(self.arena, channel, kind, running)
                    continue
                if now.astimezone(UTC) - slot > digest.STALE_AFTER:
                    continue
                data, remember = await digest.build(self.arena, channel, kind, slot, look.snapshot)
                plan.snapshots += remember
                plan.items.append((channel.id, {"id": f"{name}:{slot.isoformat()}", "kind": "digest", "data": data}))


def prize_news(results: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """The prizes as the announcement names them: public names, how each tie was settled, empty places."""

    def name(award_board: str, who: str) -> str:
        if award_board == "teams":
            team = directory.teams.get(who)
            return team.name if team else who
        return directory.public_name(who)

    prizes = [
        {
            "prize": award["prize"],
            "name": name(award.get("board", "reps"), award["id"]),
            "score": award.get("score", 0),
            "tie": award.get("tie"),
            "others": [name(award.get("board", "reps"), who) for who in award.get("tied_with", [])],
        }
        for award in results.get("prizes", [])
    ]
    return {"prizes": prizes, "unawarded": results.get("unawarded", [])}
