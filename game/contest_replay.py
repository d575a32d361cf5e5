"""One contest replayed in memory, event by event: the boards it would have produced.

This is the pure twin of the live write path. Decisions are those of ``game.scoring.decide`` and every write
follows ``game/lua/apply_contest.lua`` step for step, on dictionaries instead of Redis keys: per-event
dedupe, deal records and tombstones (a reversal before its original), undo of exactly what was applied,
daily-cap groups (``day|rule|rep`` scores ``min(points asked by standing events, cap)`` and reaches that
score at the standing event, in ``occurred_at`` order, that filled it), team scores (sum, average, best:N,
percent of target) and the fair tie-break (seconds left at the latest score-changing ``occurred_at``).
Events are replayed in log order, which is the order the live contest applied them, so even order-dependent
corrections (two updates of one deal) come out the same. ``tests/test_simulation_equivalence.py`` hold the proof: the
same history written through the real Lua script and replayed here gives identical boards.

The hot path (``ContestReplay.feed``) parses each event once (``LogEvent``), looks rules up by event type,
caches per-rep and per-team facts and computes points with integer arithmetic wherever that is provably the
same as the ``Decimal`` arithmetic of ``game.scoring.rule_points`` (falling back to it where it is not).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from game.adjustments import ADJUSTMENT_RULE, adjustment_points
from game.cap_days import cap_day
from game.contests import PERCENT_SCALE, Contest
from game.deal_points import breakdown, deal_matches, needs_breakdown
from game.directory import Directory
from game.events import ADJUSTMENT_TYPE
from game.exchange_rates import Rates
from game.log_event import LogEvent
from game.ranking import MAX_SCORE, TIME_SPAN, Ranked, competition_ranks
from game.replay_points import CompiledRule, compile_rule, exact_points
from game.rosters import TeamRoster, team_points, team_rosters
from game.scoring import DEAL_TYPES, REVERSING_TYPES, UPDATING_TYPES, ContestChange, team_target

DAY_BUCKET_SECONDS = 900  # local dates are cached per 15 minutes (when a bucket falls on one date)


# --- the write script, in memory ------------------------------------------------------------------------


@dataclass(slots=True)
class _Deal:
    """What the write script records per deal key (``deals`` hash), plus the day for contributions."""

    rep: str
    team: str
    hits: list[tuple[int, int, str, int, int]]  # rule, points applied, cap field, points asked, cap
    size: int
    target: int
    team_target: int
    division: str
    day: str
    at: int
    # provisional points (contests that confirm deals): settlement moment, points held, auto-confirmation
    due: int | None = None
    pp: int = 0
    auto: bool = False


_TOMB = object()  # a reversal (or an update that no longer scores) arrived: a late original scores nothing
_EXPIRED = object()  # a provisional deal that was not confirmed in time: nothing revives it


def shown(points: int, target: int) -> int:
    """What a board shows for exact points: per mille of the target when there is one (as the script does,
    in doubles: the operands are exact, the quotient correctly rounded, then floored)."""
    return math.floor(points * PERCENT_SCALE / target) if target > 0 else points


@dataclass(frozen=True)
class Boards:
    """The boards a replay ends with, as the live contest would show them, plus what the summary needs."""

    reps: list[Ranked]
    teams: list[Ranked]
    divisions: dict[str, list[Ranked]]
    points: dict[str, int]  # exact points per rep (percent-of-target boards show per mille of target)
    lead_changes: int
    leaders: tuple[str, ...]  # reps who held first place with points, in the order they first took it
    events: int  # events fed
    changes: int  # events the script would write into this contest (a capped call adding 0 points too)
    refused: int  # events the live script would refuse (a score beyond ±MAX_SCORE)
    days: tuple[str, ...]  # the contest's days in its time zone
    # points that stand at the end, per (team, rep) and day: the unit of the prize-chance resampling
    contributions: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)


def _ranked(board: Mapping[str, int]) -> list[Ranked]:
    """ZREVRANGE order (composite, then member, both descending) with standard competition ranks."""
    ordered = sorted(board.items(), key=lambda item: (item[1], item[0]), reverse=True)
    return competition_ranks([(member, composite // TIME_SPAN) for member, composite in ordered])


@dataclass(frozen=True, slots=True)
class _Who:
    """What ``decide`` looks up for a rep (with the team recorded on the event): fixed for one directory."""

    included: bool  # the rep is known and takes part: the event may score
    team: str  # "" for none, as the write script keeps it
    size: int
    target: int
    team_target: int
    division: str


_NOBODY = _Who(False, "", 0, 0, 0, "")
_UNDOING = REVERSING_TYPES | UPDATING_TYPES


class ContestReplay:
    """One contest's boards, built event by event exactly as ``apply_contest.lua`` builds them in Redis.

    Boards are settled lazily (``settle``): the script refreshes a rep's and a team's board entry in the same
    call as every change to that rep's or team's points or times, so the final boards depend only on the
    final state (and on the target, size and division of the last refresh, fixed for one contest and one
    directory). The same holds for a cap group's "reached at" time, except in the team of a rep who moved
    team mid-day: that team keeps the time of its last refresh, so it is taken when the team changes.
    """

    def __init__(
        self, contest: Contest, directory: Directory, *, roster: bool = True, rates: Rates | None = None
    ) -> None:
        self.contest = contest
        self.rates = rates
        self.directory = directory
        self.ends = int(contest.ends_at.timestamp())
        self.zone = ZoneInfo(contest.timezone)
        self.percent = contest.scoring == "percent_of_target"
        self.mode = contest.team_score.mode
        self.best_n = contest.team_score.best_n
        by_type: dict[str, list[CompiledRule]] = {}
        for index, rule in enumerate(contest.rules):
            by_type.setdefault(rule.on, []).append(compile_rule(index, rule))
        # decide(): an update is scored as a deal.won; a reversal never scores
        self._rules = {kind: rules for kind, rules in by_type.items() if kind not in _UNDOING}
        if "deal.won" in by_type:
            for kind in UPDATING_TYPES:
                self._rules[kind] = by_type["deal.won"]
        # the keys of one contest epoch
        self.seen: set[str] = set()
        self.deals: dict[str, object] = {}
        self.rep_totals: dict[str, int] = {}
        self.rep_board: dict[str, int] = {}
        self.team_totals: dict[str, int] = {}
        self.team_board: dict[str, int] = {}
        self.caps: dict[str, int] = {}
        self.cap_groups: dict[str, dict[str, tuple[int, int]]] = {}
        self.rep_times: dict[str, dict[str, int]] = {}
        self.team_times: dict[str, dict[str, int]] = {}
        self.team_members: dict[str, dict[str, int]] = {}
        self.division_boards: dict[str, dict[str, int]] = {}
        # what is settled at the end
        self._reps_touched: dict[str, tuple[int, str]] = {}  # rep -> (target, division) of its last refresh
        self._teams_touched: dict[str, tuple[int, int]] = {}  # team -> (size, target) of its last refresh
        self._groups_touched: dict[str, tuple[str, str]] = {}  # cap field -> (rep, team) of its last refresh
        # caches of facts fixed for one contest and one directory
        self._who: dict[tuple[str, str | None], _Who] = {}
        self._days: dict[int, str] = {}
        self._caps, self._first = contest.working_day_caps, contest.starts_at.astimezone(self.zone).date()
        # leadership over the replay (by score; a tie does not take the lead from whoever holds it)
        self._scores: dict[str, int] = {}
        self._leader: str | None = None
        self._leader_score = 0
        self.lead_changes = 0
        self.leaders: list[str] = []
        self.events = self.changes = self.refused = 0
        # provisional points (``Contest.confirm``)
        confirm = contest.confirm
        self.confirm_on = confirm.on if confirm else None
        self.settle_seconds = confirm.window_seconds if confirm else 0
        self.auto = confirm is not None and confirm.auto_after_days is not None
        self.pending: dict[str, int] = {}  # deal -> settlement moment
        self.rep_pending: dict[str, int] = {}
        self.team_pending: dict[str, int] = {}  # team, and team|rep -> the member's share
        self.paid: set[str] = set()
        self.rep_provisional: dict[str, int] = {}  # as the boards show them
        self.team_provisional: dict[str, int] = {}
        # the team rosters Arena.sync_rosters writes (regroup_teams.lua): they size averages, pick best-N
        self.rosters: dict[str, TeamRoster] = team_rosters(contest, directory) if roster else {}
        if roster:
            self._add_roster()

    # roster: Arena.sync_rosters puts every participant on the boards with zero points (ZADD NX)
    def _add_roster(self) -> None:
        contest, directory = self.contest, self.directory
        for rep in directory.reps.values():
            if rep.active and contest.includes(rep.id, rep.team):
                self.rep_board.setdefault(rep.id, 0)
                division = contest.division_of(rep.id)
                if division:
                    self.division_boards.setdefault(division, {}).setdefault(rep.id, 0)
        for team in self.rosters:
            self.team_board.setdefault(team, 0)
            self._teams_touched[team] = (0, 0)  # regroup_teams.lua writes the row of each team it gives a roster

    # --- deciding (game.scoring.decide, with its per-event lookups cached) ------------------------------

    def feed(self, event: LogEvent) -> None:
        """Decide and apply one logged event (the fast twin of ``decide`` + ``apply``)."""
        self.events += 1
        kind = event.type
        rcv = int(event.received_at.timestamp()) if self.confirm_on is not None else 0
        if kind == self.confirm_on:
            if event.ref_key is not None:
                self._write(event.key, event.ref_key, False, None, event.rep, _NOBODY, "", event.at, rcv, 0, True)
            return
        undo = kind in _UNDOING
        rules = self._rules.get(kind)
        hits: list[tuple[int, int, int]] | None = None
        who = _NOBODY
        if kind == ADJUSTMENT_TYPE:
            rules = None
            adjusted = adjustment_points(kind, event.attrs, self.contest.id)
            if adjusted is not None and self.contest.starts_at <= event.occurred_at < self.contest.ends_at:
                who = self._who.get((event.rep, event.team)) or self._who_of(event.rep, event.team)
                if who.included:
                    hits = [(ADJUSTMENT_RULE, adjusted, 0)]
        if rules is not None and self.contest.starts_at <= event.occurred_at < self.contest.ends_at:
            who = self._who.get((event.rep, event.team)) or self._who_of(event.rep, event.team)
            if who.included:
                hits = []
                amount, category = event.amount, event.category
                currency = self.contest.currency
                currency_matches = event.currency == currency
                # deals with lines or in another currency: the reference filters and points (game.deal_points)
                lined = bool(event.items) or (amount is not None and not currency_matches)
                for rule in rules:
                    if lined:
                        if not deal_matches(rule.rule, event, currency, self.rates):
                            continue
                    elif (rule.categories is not None and category not in rule.categories) or (
                        rule.min_amount is not None and (amount is None or amount < rule.min_amount)
                    ):
                        continue
                    if rule.new_only and not event.new_customer:
                        continue
                    if needs_breakdown(rule.rule, event, currency):
                        hits.append((rule.index, breakdown(rule.rule, event, currency, self.rates).points, rule.cap))
                    elif rule.per is None and not rule.factors:
                        hits.append((rule.index, rule.flat, rule.cap))
                    else:
                        hits.append((rule.index, exact_points(rule, amount, currency_matches, category), rule.cap))
        if not hits:
            if not undo:
                return
            hits = None
        self._write(
            event.key,
            event.ref_key if undo and event.ref_key else event.key,
            undo,
            hits,
            event.rep,
            who,
            self._day(event.at) if hits else "",
            event.at,
            rcv,
            self.settle_seconds if kind in DEAL_TYPES else 0,
        )

    def apply(self, change: ContestChange) -> int | None:
        """Apply a change decided by ``game.scoring.decide`` (the reference path; ``feed`` is the fast one)."""
        self.events += 1
        who = _Who(
            True,
            change.team or "",
            change.team_sizes.get(change.team, 0) if change.team else 0,
            change.target,
            change.team_target,
            change.division or "",
        )
        hits = [(hit.rule, hit.points, hit.cap_per_day or 0) for hit in change.hits]
        return self._write(
            change.event_key,
            change.deal_key,
            change.undo,
            hits or None,
            change.rep,
            who,
            change.day,
            change.occurred_epoch,
            change.received_epoch,
            change.settle_seconds,
            change.confirms,
            change.settle_only,
        )

    def settle_due(self, now: datetime) -> None:
        """The scheduler's sweep: settle every provisional deal whose moment has come, soonest first."""
        moment = int(now.timestamp())
        for deal, _due in sorted(
            ((deal, due) for deal, due in self.pending.items() if due <= moment), key=lambda item: (item[1], item[0])
        ):
            self._write(f"settle:{deal}", deal, False, None, "", _NOBODY, "", moment, moment, 0, False, True)

    def _who_of(self, rep_id: str, event_team: str | None) -> _Who:
        contest, directory = self.contest, self.directory
        rep = directory.reps.get(rep_id)
        team = event_team if event_team is not None else (rep.team if rep is not None else None)
        percent = self.percent
        who = _Who(
            included=rep is not None and contest.includes(rep_id, team),
            team=team or "",
            size=directory.team_size(team) if team else 0,
            target=(contest.target_for(rep_id) or 0) if percent else 0,
            team_target=team_target(contest, directory, team) if percent and team else 0,
            division=contest.division_of(rep_id) or "",
        )
        self._who[(rep_id, event_team)] = who
        return who

    def _day(self, at: int) -> str:
        """The day whose caps an event at an epoch second counts against (``game.cap_days``: its local date in
        the contest's zone, or the working day before it), cached per 15-minute bucket when the whole bucket
        falls on one date."""
        bucket = at // DAY_BUCKET_SECONDS
        day = self._days.get(bucket)
        if day is None:
            first = datetime.fromtimestamp(bucket * DAY_BUCKET_SECONDS, self.zone).date()
            last = datetime.fromtimestamp(bucket * DAY_BUCKET_SECONDS + DAY_BUCKET_SECONDS - 1, self.zone).date()
            if first != last:
                return cap_day(datetime.fromtimestamp(at, self.zone).date(), self._first, self._caps).isoformat()
            day = self._days[bucket] = cap_day(first, self._first, self._caps).isoformat()
        return day

    def _local_date(self, at: int) -> str:
        """The local date of an epoch second in the contest's zone."""
        return datetime.fromtimestamp(at, self.zone).date().isoformat()

    # --- writing (apply_contest.lua) --------------------------------------------------------------------

    def _write(
        self,
        event: str,
        deal: str,
        undo_asked: bool,
        hits: list[tuple[int, int, int]] | None,
        rep: str,
        who: _Who,
        day: str,
        at: int,
        rcv: int = 0,
        settle: int = 0,
        confirms: bool = False,
        settle_only: bool = False,
    ) -> int | None:
        """One call of the write script. Returns the points applied, or None for a duplicate or a refusal."""
        seen = self.seen
        if not settle_only and event in seen:
            return None
        deals = self.deals
        rep_totals = self.rep_totals
        old = deals.get(deal)
        settled: str | None = None
        if rcv and old.__class__ is _Deal and old.due is not None and old.due <= rcv:
            settled = "confirmed" if old.auto else "expired"
        if settle_only and settled is None:
            return 0
        undo = old if settled == "expired" or (undo_asked and old.__class__ is _Deal) else None
        # an original arriving after its reversal (or after an update) does not apply; nor does an expired deal
        apply = hits is not None and settled != "expired" and (undo_asked or old is None) and old is not _EXPIRED
        if apply:
            asked = 0
            for hit in hits:  # type: ignore[union-attr]
                asked += hit[1]
            reach = rep_totals.get(rep, 0) + asked
            if reach > MAX_SCORE or (who.target > 0 and shown(reach, who.target) > MAX_SCORE):
                self.refused += 1
                return None
        if not settle_only:
            seen.add(event)
        if settled is not None:
            assert isinstance(old, _Deal)
            self._release(deal, old)
            old.due, old.pp = None, 0
        if undo is not None:
            assert isinstance(undo, _Deal)
            delta = 0
            for _rule, points, cap_field, asked_points, cap in undo.hits:
                if cap_field:
                    delta += self._join_group(cap_field, deal, asked_points, cap, -1, 0, undo.rep, undo.team)
                else:
                    delta -= points
            rep_totals[undo.rep] = rep_totals.get(undo.rep, 0) + delta
            times = self.rep_times.get(undo.rep)
            if times is not None:
                times.pop(deal, None)
            if undo.team:
                self._member_add(undo.team, undo.rep, delta)
                times = self.team_times.get(undo.team)
                if times is not None:
                    times.pop(deal, None)
            if undo.due is not None:
                self._release(deal, undo)
        confirmed: _Deal | None = None
        if confirms and settled is None:
            if old.__class__ is _Deal and old.due is not None:
                assert isinstance(old, _Deal)
                self._release(deal, old)
                old.due, old.pp = None, 0
                confirmed = old
            elif old is None:
                self.paid.add(deal)
        if settled == "confirmed":
            assert isinstance(old, _Deal)
            confirmed = old
        total = 0
        team = who.team
        if apply:
            applied: list[tuple[int, int, str, int, int]] = []
            uncapped = 0
            for rule, points, cap in hits:  # type: ignore[union-attr]
                if cap > 0:
                    cap_field = f"{day}|{rule}|{rep}"
                    delta = self._join_group(cap_field, deal, points, cap, 1, at, rep, team)
                    applied.append((rule, delta, cap_field, points, cap))
                    total += delta
                else:
                    applied.append((rule, points, "", points, 0))
                    uncapped += points
                    total += points
            rep_totals[rep] = rep_totals.get(rep, 0) + total
            if uncapped != 0:
                times = self.rep_times.get(rep)
                if times is None:
                    times = self.rep_times[rep] = {}
                times[deal] = at
            if team:
                self._member_add(team, rep, total)
                if uncapped != 0:
                    times = self.team_times.get(team)
                    if times is None:
                        times = self.team_times[team] = {}
                    times[deal] = at
            record = deals[deal] = _Deal(
                rep, team, applied, who.size, who.target, who.team_target, who.division, day, at
            )
            # an update keeps the state of the deal it replaces; a new deal waits for confirmation
            due, auto = None, self.auto
            if undo is not None:
                due, auto = undo.due, undo.auto
            elif settle > 0:
                if deal in self.paid:
                    self.paid.discard(deal)
                else:
                    due = rcv + settle
            if due is not None:
                record.due, record.pp, record.auto = due, total, auto
                self._hold(rep, team, total)
                self.pending[deal] = due
        elif settled == "expired":
            deals[deal] = _EXPIRED
        elif undo_asked and old is not _EXPIRED:
            deals[deal] = _TOMB
        if undo is None and not apply and confirmed is None:
            return 0
        self.changes += 1
        if apply:
            self._touch_rep(rep, who.target, who.division)
        if undo is not None and (undo.rep != rep or not apply):
            self._touch_rep(undo.rep, undo.target, undo.division)
        if apply and team:
            self._teams_touched[team] = (who.size, who.team_target)
        if undo is not None and undo.team and (undo.team != team or not apply):
            self._teams_touched[undo.team] = (undo.size, undo.team_target)
        if confirmed is not None:
            self._touch_rep(confirmed.rep, confirmed.target, confirmed.division)
            if confirmed.team:
                self._teams_touched[confirmed.team] = (confirmed.size, confirmed.team_target)
        return total

    def _hold(self, rep: str, team: str, points: int) -> None:
        """Provisional points held (or, negative, released) for a rep and the team it counts for."""
        self.rep_pending[rep] = self.rep_pending.get(rep, 0) + points
        if team:
            pending = self.team_pending
            pending[team] = pending.get(team, 0) + points
            share = f"{team}|{rep}"
            pending[share] = pending.get(share, 0) + points

    def _release(self, deal: str, record: _Deal) -> None:
        self._hold(record.rep, record.team, -record.pp)
        self.pending.pop(deal, None)

    def _member_add(self, team: str, rep: str, delta: int) -> None:
        members = self.team_members.get(team)
        if members is None:
            members = self.team_members[team] = {}
        members[rep] = members.get(rep, 0) + delta

    def _join_group(
        self, cap_field: str, deal: str, asked: int, cap: int, sign: int, at: int, rep: str, team: str
    ) -> int:
        """``join_group`` and the bookkeeping of ``refresh_group`` that follows it in the script."""
        last = self._groups_touched.get(cap_field)
        if last is not None and last[1] != team and last[1]:
            # the team refreshed last keeps the time of that refresh: the state before this change
            self._set_reached(self.team_times, last[1], cap_field, self._reached(cap_field, cap))
        self._groups_touched[cap_field] = (rep, team)
        caps = self.caps
        before = caps.get(cap_field, 0)
        after = caps[cap_field] = before + sign * asked
        # the script's member is "deal|asked"; a deal stands in a group at most once, so the deal key will do
        group = self.cap_groups.get(cap_field)
        if group is None:
            group = self.cap_groups[cap_field] = {}
        if sign > 0:
            group[deal] = (at, asked)
        else:
            group.pop(deal, None)
        return (after if after < cap else cap) - (before if before < cap else cap)

    def _reached(self, cap_field: str, cap: int) -> int | None:
        """When the group reached its score: the standing entry (by time) whose points first filled it."""
        filled = min(self.caps.get(cap_field, 0), cap)
        if filled > 0:
            running = 0
            for at, asked in sorted(self.cap_groups[cap_field].values()):
                running += asked
                if running >= filled:
                    return at
        return None

    @staticmethod
    def _set_reached(table: dict[str, dict[str, int]], owner: str, cap_field: str, reached: int | None) -> None:
        member = "cap|" + cap_field
        if reached is not None:
            table.setdefault(owner, {})[member] = reached
        elif owner in table:
            table[owner].pop(member, None)

    def _touch_rep(self, rep: str, target: int, division: str) -> None:
        """``refresh_rep``, settled later; the lead is followed now."""
        self._reps_touched[rep] = (target, division)
        score = shown(self.rep_totals.get(rep, 0), target)
        self._scores[rep] = score
        leader = self._leader
        if rep == leader:
            if score < self._leader_score:
                best = max(self._scores.values())
                if best > score:
                    leader = max(r for r, s in self._scores.items() if s == best)
                    score = best
            self._leader_score = score
        elif score > self._leader_score:
            leader, self._leader_score = rep, score
        if leader != self._leader and leader is not None:
            if self._leader is not None:
                self.lead_changes += 1
            if leader not in self.leaders:
                self.leaders.append(leader)
            self._leader = leader

    def _left(self, times: dict[str, int] | None) -> int:
        if not times:
            return 0
        return max(0, min(TIME_SPAN - 1, self.ends - max(times.values())))

    def settle(self) -> None:
        """Bring the boards up to date: cap groups' times, then reps and teams as their last refresh left them."""
        for cap_field, (rep, team) in self._groups_touched.items():
            cap = self.contest.rules[int(cap_field.split("|", 2)[1])].cap_per_day or 0
            reached = self._reached(cap_field, cap)
            self._set_reached(self.rep_times, rep, cap_field, reached)
            if team:
                self._set_reached(self.team_times, team, cap_field, reached)
        self._groups_touched.clear()
        confirming = self.confirm_on is not None
        for rep, (target, division) in self._reps_touched.items():
            points = self.rep_totals.get(rep, 0)
            score = shown(points, target)
            composite = score * TIME_SPAN + self._left(self.rep_times.get(rep))
            self.rep_board[rep] = composite
            if division:
                self.division_boards.setdefault(division, {})[rep] = composite
            if confirming:
                unconfirmed = shown(points - self.rep_pending.get(rep, 0), target)
                _keep_provisional(self.rep_provisional, rep, score, unconfirmed)
        self._reps_touched.clear()
        for team, (size, target) in self._teams_touched.items():
            roster = self.rosters.get(team)
            if roster is not None:
                size, target = len(roster.members), roster.target
            score = shown(team_points(self.mode, self.best_n, self.team_members.get(team, {}), size, roster), target)
            self.team_totals[team] = score
            self.team_board[team] = score * TIME_SPAN + self._left(self.team_times.get(team))
            if confirming:
                _keep_provisional(self.team_provisional, team, score, shown(self._team_confirmed(team, size), target))
        self._teams_touched.clear()

    def _team_confirmed(self, team: str, size: int) -> int:
        """A team's score counting confirmed points only (``team_confirmed_of`` in the script)."""
        pending = self.team_pending
        members = self.team_members.get(team, {})
        if self.mode == "best":  # the members best-N picks (from the roster when there is one), by points
            roster = self.rosters.get(team)
            eligible = members.items() if roster is None else [(rep, members.get(rep, 0)) for rep in roster.members]
            top = heapq.nlargest(self.best_n, eligible, key=lambda m: (m[1], m[0]))
            return sum(points - pending.get(f"{team}|{rep}", 0) for rep, points in top)
        confirmed = sum(members.values()) - pending.get(team, 0)
        return math.floor(confirmed / max(size, 1)) if self.mode == "average" else confirmed

    # --- the result -------------------------------------------------------------------------------------

    def boards(self, *, contributions: bool = True) -> Boards:
        self.settle()
        return Boards(
            reps=_ranked(self.rep_board),
            teams=_ranked(self.team_board),
            divisions={name: _ranked(board) for name, board in sorted(self.division_boards.items())},
            points=dict(self.rep_totals),
            lead_changes=self.lead_changes,
            leaders=tuple(self.leaders),
            events=self.events,
            changes=self.changes,
            refused=self.refused,
            days=contest_days(self.contest),
            contributions=self._contributions() if contributions else {},
        )

    def _contributions(self) -> dict[tuple[str, str], dict[str, int]]:
        """Standing points by (team, rep) and day: uncapped hits of standing deals, and each cap group's
        ``min(sum, cap)`` (credited to the team of its last refresh)."""
        out: dict[tuple[str, str], dict[str, int]] = {}
        group_team: dict[str, str] = {}
        for record in self.deals.values():
            if record.__class__ is not _Deal:
                continue
            assert isinstance(record, _Deal)
            for _rule, points, cap_field, _asked, _cap in record.hits:
                if cap_field:
                    group_team[cap_field] = record.team
                elif points:
                    days = out.get((record.team, record.rep))
                    if days is None:
                        days = out[(record.team, record.rep)] = {}
                    # On the day it happened: a day off's points count towards a working day's caps only.
                    day = record.day if self._caps is None else self._local_date(record.at)
                    days[day] = days.get(day, 0) + points
        rules = self.contest.rules
        for cap_field, team in group_team.items():
            day, rule, rep = cap_field.split("|", 2)
            points = min(self.caps.get(cap_field, 0), rules[int(rule)].cap_per_day or 0)
            if points:
                days = out.setdefault((team, rep), {})
                days[day] = days.get(day, 0) + points
        return out


def _keep_provisional(table: dict[str, int], member: str, score: int, confirmed_score: int) -> None:
    """Provisional points as a board shows them: its score less the score of its confirmed points alone."""
    provisional = min(score - confirmed_score, score)
    if provisional > 0:
        table[member] = provisional
    else:
        table.pop(member, None)


def contest_days(contest: Contest) -> tuple[str, ...]:
    """Every local date the contest's window touches, in its own time zone."""
    zone = ZoneInfo(contest.timezone)
    first = contest.starts_at.astimezone(zone).date()
    last = (contest.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    days: list[str] = []
    current: date = first
    while current <= last:
        days.append(current.isoformat())
        current += timedelta(days=1)
    return tuple(days)
