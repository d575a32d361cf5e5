"""Time-driven work: crowning champions when contests close, starting the next recurring contest,
comeback badges, the month's record breaker, and trimming the event log past its retention.

Every process runs the loop, but only the holder of a short Redis lease acts, so several server
processes never crown a champion twice. Each job is idempotent anyway (results and awards are keyed by
contest or month), so a lease handed over mid-job is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from game.badges.champion import champion_awards
from game.badges.comeback import bottom_half, came_back
from game.badges.record_breaker import record_holder
from game.contests import Contest
from game.results import Contribution, final_results, race_finish
from game.scoring import settlement
from game.store import BadgeSync
from server.services.cap_calendar import freeze_cap_calendar
from server.services.contest_archive import compact_contest
from server.services.fairness import next_period_definition
from server.services.recognition import crown_awards
from server.services.repair import repair_log_tail
from server.services.rewards import credit_badges, credit_owed_prizes
from server.services.scheduling import SchedulerState
from server.tasks import stop_task
from server.workers import corrections
from server.workers.log_retention import LogRetention

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.scheduler")

AWARDS_LOOKBACK = timedelta(days=30)  # a close cut short before crowning is completed within this time
CREATE_AHEAD = timedelta(days=1)  # the next recurring contest exists (scheduled) a day before it starts


def next_period(contest: Contest) -> tuple[datetime, datetime]:
    """The next month (or week) in the contest's own time zone."""
    zone = contest.zone
    start = contest.ends_at.astimezone(zone)
    if contest.recurrence == "weekly":
        return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)
    end = (start.replace(day=1) + timedelta(days=32)).replace(day=1, hour=start.hour, minute=start.minute)
    return start.astimezone(UTC), end.astimezone(UTC)


def series_of(contest: Contest) -> str:
    series = contest.definition.get("series")
    if isinstance(series, str) and series:
        return series
    base = contest.id
    parts = base.rsplit("-", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0]
    return base


class Scheduler:
    def __init__(self, arena: Arena, state: SchedulerState, interval: float = 15.0) -> None:
        self.arena = arena
        self.interval = interval
        self.token = secrets.token_hex(8)
        self.state = state
        self.retention = LogRetention(arena.event_log, arena.settings.log_retention_days)
        self.backups = arena.backups
        self._task: asyncio.Task[None] | None = None
        self._compacted: set[tuple[str, int, str]] = set()  # (contest, epoch, state) compacted as far as it may

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _run(self) -> None:
        while True:
            try:
                lease_ms = int(self.interval * 3000)
                if await self.state.hold_lease(self.token, lease_ms):
                    now = datetime.now(UTC)
                    await self.tick(now)
                    await self.heartbeat(now)
            except (RedisError, OSError) as exc:
                log.warning("scheduler tick failed (%s)", exc)
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.interval)

    async def heartbeat(self, now: datetime) -> None:
        """Record that a tick started at ``now`` has finished (epoch ms, kept for a few intervals).

        It tells operators and tests when the scheduler last finished a tick: a heartbeat later than some
        moment proves that a whole tick has run since then. No heartbeat means no process holds the lease
        or every recent tick failed.
        """
        await self.state.beat(now, keep_ms=int(self.interval * 3000))

    async def tick(self, now: datetime) -> None:
        await repair_log_tail(self.arena, now)  # logged events whose writes a failure cut short
        snapshot = await self.arena.registry.current()
        for contest in list(snapshot.contests.values()):
            if contest.state == "archived":
                await self.compact(contest, now)
            if contest.state != "active":
                continue
            if contest.recurrence and now >= contest.ends_at - CREATE_AHEAD:
                await self.create_next(contest)
            status = contest.status_at(now)
            if contest.confirm is not None and status in ("live", "ended"):
                await self.settle_provisional(contest, now)
            if status == "live":
                await self.comebacks(contest)
            elif (
                status == "ended" and not contest.accepts_at(now) and not await self.arena.rescores.running(contest.id)
            ):
                await self.finalize(contest)  # never from a board still being rebuilt
                await credit_owed_prizes(self.arena, contest)  # reward points of its prizes, once kept
                await self.compact(contest, now)
        previous_month = now.astimezone(self.arena.settings.zone).replace(day=1) - timedelta(days=1)
        await self.record_breaker(f"{previous_month:%Y-%m}")
        await self.recheck_records()
        await credit_badges(self.arena)  # reward points of the badges awarded since the last tick
        await self.retention.run(now)
        await self.backups.run(now)

    # --- recurring contests ----------------------------------------------------------------------

    async def create_next(self, contest: Contest) -> str | None:
        starts, ends = next_period(contest)
        series = series_of(contest)
        new_id = (
            f"{series}-{starts.astimezone(contest.zone):%Y-%m-%d}"[:64]
            if contest.recurrence == "weekly"
            else f"{series}-{starts.astimezone(contest.zone):%Y-%m}"
        )
        if new_id in (await self.arena.registry.current()).contests:
            return None
        name = contest.definition.get("name_template") or contest.name
        definition = {
            **contest.definition,
            "id": new_id,
            "series": series,
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "name": str(name).replace("{period}", f"{starts:%Y-%m}"),
        }
        if "name_template" in contest.definition:
            definition["name"] = contest.definition["name_template"].replace(
                "{period}", f"{starts.astimezone(contest.zone):%Y-%m}"
            )
        # Leagues move by promotion and relegation, improvement targets are measured again (pure rules in
        # game.fairness; the previous standings are as of now, a day before the end).
        definition.pop("days_off", None)  # the next period's days off, from the calendar as it is now
        await freeze_cap_calendar(self.arena, definition, contest.definition)
        standings = (await self.results(contest))["standings"]
        definition = await next_period_definition(self.arena, contest, definition, standings)
        document = {
            "definition": definition,
            "state": "active",
            "version": 1,
            "epoch": 1,
            "history": [],
            "previous": contest.id,
        }
        if not await self.arena.registry.create_contest(document, "scheduler", "contest.recur"):
            return None
        await self.arena.sync_rosters(contest=new_id)
        log.info("created %s after %s", new_id, contest.id)
        return new_id

    # --- closing a contest -----------------------------------------------------------------------

    async def settle_provisional(self, contest: Contest, now: datetime) -> int:
        """Settle the provisional deals whose moment has come: confirmed automatically, or expired (their
        points drop out). How many changed a board."""
        store = self.arena.store
        settled = 0
        while due := await store.due_deals(contest.id, contest.epoch, now):
            settled += await store.apply_changes([settlement(contest, deal, now) for deal in due])
            if len(due) < 500:
                break
        return settled

    async def awaiting_confirmation(self, contest: Contest) -> datetime | None:
        """While deals of a contest that confirms points are still provisional: the moment the last of them
        is settled (confirmed or expired at the latest); None when every deal is settled."""
        if contest.confirm is None:
            return None
        count, last = await self.arena.store.pending_until(contest.id, contest.epoch)
        return last if count else None

    async def compact(self, contest: Contest, now: datetime) -> None:
        """Compact a closed contest's current epoch once (``server/services/contest_archive.py``)."""
        done = (contest.id, contest.epoch, contest.state)
        if done in self._compacted:
            return
        arena = self.arena
        if await compact_contest(arena.store, arena.contest_archives, arena.rescores, contest, now) is not None:
            self._compacted.add(done)

    async def finalize(self, contest: Contest) -> dict[str, Any] | None:
        """Compute and keep the final results once; crown champions with badges and a celebration. Where
        points are confirmed, only once every deal of the contest is confirmed, reversed or expired."""
        store = self.arena.store
        if await store.has_results(contest.id):
            await self.crown_kept(contest)
            return None
        if await self.awaiting_confirmation(contest) is not None:
            return None
        results = await self.results(contest)
        results.update(final=True, finalized_at=datetime.now(UTC).isoformat(), version=contest.version, corrections=[])
        if not await store.keep_results(contest.id, results):
            return None
        snapshot = await self.arena.registry.current()
        for rep_id, kind in champion_awards(results, snapshot.directory.reps.values()):
            for badge in snapshot.badges:
                if badge.kind == kind:
                    await self.award(rep_id, badge.id, contest.id, {"contest": contest.id})
        await store.ring_contest(
            contest.id,
            {
                "contest": contest.id,
                "type": "contest.won",
                "rep": results["champion"] or "",
                "team": results["best_team"] or "",
                "points": 0,
                "event": "",
            },
        )
        await crown_awards(self.arena, contest, results, "scheduler")
        return results

    async def crown_kept(self, contest: Contest) -> None:
        """The awards of a closed contest from its kept results, should a close have been cut short between
        keeping them and crowning (idempotent: a crown already held is left as it is)."""
        if not contest.definition.get("awards") or datetime.now(UTC) - contest.ends_at > AWARDS_LOOKBACK:
            return
        kept = await self.arena.store.results(contest.id)
        if kept is not None and kept.get("final"):
            await crown_awards(self.arena, contest, kept, "scheduler", corrected=bool(kept.get("corrections")))

    async def results(self, contest: Contest) -> dict[str, Any]:
        """Standings and champions as of now (final once the contest is closed)."""
        store = self.arena.store
        reps = await store.read_board(contest.id, contest.epoch, "reps", limit=10_000)
        teams = await store.read_board(contest.id, contest.epoch, "teams", limit=10_000)
        finishes: dict[str, int] = {}
        if contest.kind == "race" and contest.target:
            for row in reps.rows:
                if row.score < contest.target:
                    continue
                entries, cursor = [], "-"
                while True:
                    page, cursor_next = await store.read_ledger(
                        contest.id, contest.epoch, row.id, cursor=cursor, count=500
                    )
                    entries += [Contribution(e["deal"], e["at"], e["points"], e["note"]) for e in page]
                    if cursor_next is None:
                        break
                    cursor = cursor_next
                finish = race_finish(entries, contest.target)
                if finish is not None:
                    finishes[row.id] = finish
        return final_results(contest, reps.rows, teams.rows, finishes)

    async def correct(self, contest_id: str, by: str, reason: str) -> dict[str, Any] | None:
        """After a rescore: a closed contest's kept results computed again from its board (see
        ``server/workers/corrections.py``); None when none were kept yet."""
        return await corrections.correct(self, contest_id, by, reason)

    # --- badges decided by time ------------------------------------------------------------------

    async def award(self, rep_id: str, badge_id: str, period: str, extra: dict[str, Any]) -> bool:
        """Award a badge decided by time, unless the rep holds it already; stored, put on the badge feed and
        announced through the same path as the badge worker's (``Store.sync_badges``)."""
        record = {
            "badge": badge_id,
            "period": period,
            "awarded_at": datetime.now(UTC).isoformat(),
            "basis": [],
            **extra,
        }
        [applied] = await self.arena.store.sync_badges([BadgeSync(rep_id, awards=[(f"{badge_id}:{period}", record)])])
        return bool(applied)

    async def comebacks(self, contest: Contest) -> None:
        """Mark who is in the bottom half now; whoever reaches the top 3 after such a mark came back."""
        store = self.arena.store
        board = await store.whole_board(contest.id, contest.epoch, "reps")
        await store.mark_low_water(contest.id, contest.epoch, bottom_half(board), datetime.now(UTC).isoformat())
        marked = await store.low_water_marks(contest.id, contest.epoch)
        snapshot = await self.arena.registry.current()
        for rep_id in came_back(board, marked):
            for badge in snapshot.badges:
                if badge.kind == "comeback":
                    await self.award(rep_id, badge.id, contest.id, {"contest": contest.id})

    async def record_breaker(self, month: str, late: Sequence[str] = ()) -> None:
        """After a month closes: the rep with the month's single biggest deal still standing. Decided on the
        first tick that finds a deal of that month; decided again when that deal is reversed, or when reps'
        deals of the month changed after the decision (``late``: a deal synced the next morning, a refund) —
        then only their deals are weighed against the record, not every dealer's. The badge moves with it."""
        store = self.arena.store
        decided = await store.month_record(month)
        if decided is None and late:
            return  # a month never decided (before records were kept) stays so
        rep_id, deal = decided or ("", "")
        stands = decided is not None and (not deal or await store.deal_stands(rep_id, month, deal))
        if stands and not (deal and late):
            return  # the record still stands
        # a record standing stood against every deal until the late ones: they alone may beat it
        reps = sorted({rep_id, *late}) if stands else await store.month_dealers(month)
        facts_by_rep = [(rep, await store.month_facts(rep, month)) for rep in reps]
        holder = record_holder(facts_by_rep)
        if decided is not None and holder is not None and (holder[0], holder[1].deal) == decided:
            return  # the same deal holds it
        if decided is not None:
            await self.revoke(decided[0], "record_breaker", month)
        if holder is None:
            return
        rep_id, fact = holder
        await store.decide_month_record(month, rep_id, fact.deal)
        snapshot = await self.arena.registry.current()
        for badge in snapshot.badges:
            if badge.kind == "record_breaker":
                await self.award(rep_id, badge.id, month, {"deal": fact.deal, "amount": str(fact.amount)})

    async def recheck_records(self) -> None:
        """Closed months some reps' deals came to or left after their record was decided
        (``Store.note_late_dealers``); what a failed check took off the list goes back on it."""
        pending = await self.arena.store.late_dealers()
        for month, reps in pending.items():
            try:
                await self.record_breaker(month, reps)
            except BaseException:
                back = {(m, rep) for m, reps_of in pending.items() if m >= month for rep in reps_of}
                await self.arena.store.note_late_dealers(back)
                raise

    async def revoke(self, rep_id: str, kind: str, period: str) -> None:
        """Take back a time-decided badge whose basis went away (announced like any revocation, through the
        same path as the badge worker's)."""
        snapshot = await self.arena.registry.current()
        instances = {f"{badge.id}:{period}" for badge in snapshot.badges if badge.kind == kind}
        held = await self.arena.store.held_badges(rep_id)
        revocations = [(key, record) for key, record in held.items() if key in instances]
        if revocations:
            await self.arena.store.sync_badges([BadgeSync(rep_id, revocations=revocations)])
