"""Lift report (激励效果评估): did the contest move the KPIs it scored, against a baseline, and for whom?

For each KPI the contest scored, the contest period is compared with a baseline period (by default the same
length right before it), for the participants together, per team and per rep. Values are what stands at
the end (reversed deals do not count; an updated deal counts as updated), attributed to the rep and the
``occurred_at`` of the standing content. A baseline of a different length is scaled to the contest's length.

The estimate is the mean change per participating rep; when reps who did not take part can serve as a
comparison group, it is the difference in differences (participants' mean change minus the comparison
group's), which takes out what moved for everyone (season, a price change). Its 95 % confidence interval
is a t-interval (Welch's, for the difference) on the per-rep changes.

When the data are too thin the report says so instead of guessing (``verdict``):

- ``no_baseline``: nothing at all was logged in the baseline period (the workspace was not in use yet, or its
  CRM not connected): every participant would seem to start from zero and any contest would look like a lift;
- ``insufficient_data``: fewer than ``MIN_REPS`` participants with any activity in the KPI, or fewer than
  ``MIN_EVENTS`` KPI events (both periods, participants);
- ``inconclusive``: the confidence interval spans zero;
- ``increase`` / ``decrease``: the interval lies entirely above / below zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from game.contests import Contest
from game.deal_history import deal_history
from game.directory import Directory
from game.log_event import LogEvent

MIN_REPS = 5
MIN_EVENTS = 30
CONFIDENCE = 0.95
DEAL_TYPES = frozenset({"deal.won", "deal.updated"})
KPI_NAMES = {
    "revenue": ("业绩", "Revenue"),
    "deals": ("成交数", "Deals won"),
    "new_customers": ("新客户数", "New customers"),
    "calls": ("电话数", "Calls"),
    "meetings": ("拜访数", "Meetings"),
    "csat": ("满意度调查数", "CSAT surveys"),
}
ACTIVITY_KPIS = {"call.logged": "calls", "meeting.held": "meetings", "csat.recorded": "csat"}
# Two-sided 97.5 % quantiles of Student's t by degrees of freedom; between rows the smaller df (wider) is used.
T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
    20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
    29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip


def t975(df: float) -> float:
    if df < 1:
        return T975[1]
    usable = [d for d in T975 if d <= df]
    return T975[max(usable)] if df <= 120 else 1.960


def kpi_label(kpi: str) -> dict[str, str]:
    if kpi in KPI_NAMES:
        zh, en = KPI_NAMES[kpi]
        return {"zh-CN": zh, "en": en}
    kind = kpi.split(":", 1)[-1]
    return {"zh-CN": f"{kind} 事件数", "en": f"{kind} events"}


def contest_kpis(contest: Contest) -> list[str]:
    """The KPIs a contest scored, from its rules: deals → revenue and deal count (and new customers when a
    rule rewards them), activities → their counts, custom event types → their counts."""
    kpis: list[str] = []

    def add(kpi: str) -> None:
        if kpi not in kpis:
            kpis.append(kpi)

    for rule in contest.rules:
        if rule.on in DEAL_TYPES:
            add("revenue")
            add("deals")
            if rule.new_customer_only:
                add("new_customers")
        elif rule.on == "customer.new":
            add("new_customers")
        elif rule.on in ACTIVITY_KPIS:
            add(ACTIVITY_KPIS[rule.on])
        elif rule.on != "deal.reversed":
            add(f"events:{rule.on}")
    return kpis


def kpi_value(kpi: str, event: LogEvent, currency: str) -> float:
    """What one standing event adds to a KPI (0 when it does not count for it)."""
    kind = event.type
    if kpi == "revenue":
        money = kind in DEAL_TYPES and event.amount is not None and event.currency == currency
        return float(event.amount) if money and event.amount is not None else 0
    if kpi == "deals":
        return 1 if kind in DEAL_TYPES else 0
    if kpi == "new_customers":
        return 1 if (kind in DEAL_TYPES and event.new_customer) or kind == "customer.new" else 0
    if kpi in ("calls", "meetings", "csat"):
        return 1 if ACTIVITY_KPIS.get(kind) == kpi else 0
    return 1 if kpi.startswith("events:") and kind == kpi[7:] else 0


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def local_days(self, zone: tzinfo) -> tuple[date, date]:
        """The first and the last calendar day the period covers in ``zone`` (its end is exclusive: a month that
        ends at local midnight on the 1st ends on the last day of the month, whatever UTC says)."""
        last = self.end - timedelta(microseconds=1) if self.end > self.start else self.end
        return self.start.astimezone(zone).date(), last.astimezone(zone).date()


def mean_interval(values: Sequence[float]) -> tuple[float, float, float] | None:
    """Mean and its 95 % t-interval (None below two values)."""
    n = len(values)
    if n < 2:
        return None
    mean = statistics.fmean(values)
    half = t975(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean, mean - half, mean + half


def welch_interval(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float] | None:
    """mean(a) − mean(b) and its 95 % Welch t-interval (None when either group has fewer than two)."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff = statistics.fmean(a) - statistics.fmean(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1)) + (vb**2 / (len(b) - 1)))
    half = t975(df) * se
    return diff, diff - half, diff + half


def _round(value: float) -> float:
    return round(value, 2)


def _summary(reps: Iterable[str], before: Mapping[str, float], during: Mapping[str, float]) -> dict[str, Any]:
    members = list(reps)
    base = sum(before.get(r, 0) for r in members)
    now = sum(during.get(r, 0) for r in members)
    return {
        "reps": len(members),
        "baseline": _round(base),
        "contest": _round(now),
        "change": _round(now - base),
        "change_pct": _round(100 * (now - base) / base) if base else None,
        "improved": sum(1 for r in members if during.get(r, 0) > before.get(r, 0)),
    }


def _verdict(interval: tuple[float, float, float] | None, thin: bool, baseline_logged: bool) -> str:
    if not baseline_logged:
        return "no_baseline"
    if thin or interval is None:
        return "insufficient_data"
    _, low, high = interval
    if low > 0:
        return "increase"
    if high < 0:
        return "decrease"
    return "inconclusive"


REASONS = {
    "no_baseline": (
        "基准期内没有任何事件记录（可能当时尚未使用本系统或尚未接入 CRM）：无法衡量提升。用 CSV 补录历史成交后再查看。",
        "Nothing was logged in the baseline period (the workspace or its CRM connection was not in use yet): no "
        "lift can be measured. Backfill past deals from CSV and look again.",
    ),
    "insufficient_data": (
        "数据太少，无法下结论：需要至少 {reps} 名有该指标活动的参赛销售和 {events} 条相关事件。",
        "Too little data to conclude: at least {reps} participating reps with activity in this KPI and "
        "{events} events are needed.",
    ),
    "inconclusive": (
        "变化的 95% 置信区间包含零：不能确定竞赛带来了提升。",
        "The 95 % confidence interval of the change includes zero: no lift can be claimed.",
    ),
    "increase": ("95% 置信区间全部高于零：指标有提升。", "The 95 % confidence interval lies above zero: a lift."),
    "decrease": ("95% 置信区间全部低于零：指标下降。", "The 95 % confidence interval lies below zero: a decline."),
}


def interim_period(contest: Contest, until: datetime | None) -> Period:
    """The contest's period, or its part until ``until`` while it runs (never empty: at least its first second)."""
    if until is None or until >= contest.ends_at:
        return Period(contest.starts_at, contest.ends_at)
    return Period(contest.starts_at, max(until, contest.starts_at + timedelta(seconds=1)))


def lift_report(
    contest: Contest,
    events: Iterable[LogEvent],
    directory: Directory,
    *,
    baseline: Period | None = None,
    kpis: Sequence[str] | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The lift of every KPI the contest scored (see the module's rules for when it says "not enough").

    With ``until`` before the contest's end the report is interim: the contest so far against a baseline of the
    same length right before the start (unless one is chosen)."""
    period = interim_period(contest, until)
    baseline = baseline or Period(contest.starts_at - (period.end - period.start), contest.starts_at)
    scale = period.seconds / baseline.seconds if baseline.seconds > 0 else 1.0
    chosen = list(kpis) if kpis is not None else contest_kpis(contest)
    participants = sorted(r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team))
    joined = set(participants)
    comparison = sorted(r.id for r in directory.reps.values() if r.active and r.id not in joined)
    history = deal_history(events)
    before: dict[str, dict[str, float]] = {kpi: {} for kpi in chosen}
    during: dict[str, dict[str, float]] = {kpi: {} for kpi in chosen}
    counts: dict[str, int] = dict.fromkeys(chosen, 0)
    baseline_logged = False  # anything at all in the baseline period, of any rep or type
    for event in history.standing.values():
        in_contest = period.covers(event.occurred_at)
        in_baseline = baseline.covers(event.occurred_at)  # a chosen baseline may overlap the contest
        if not in_contest and not in_baseline:
            continue
        baseline_logged = baseline_logged or in_baseline
        for kpi in chosen:
            value = kpi_value(kpi, event, contest.currency)
            if not value:
                continue
            if in_contest:
                during[kpi][event.rep] = during[kpi].get(event.rep, 0) + value
            if in_baseline:
                before[kpi][event.rep] = before[kpi].get(event.rep, 0) + value * scale
            if event.rep in joined:
                counts[kpi] += 1
    report = [
        _kpi_report(
            kpi, before[kpi], during[kpi], counts[kpi], participants, comparison, directory, contest, baseline_logged
        )
        for kpi in chosen
    ]
    return {
        "contest": contest.id,
        "name": contest.name,
        "currency": contest.currency,
        "period": period.as_dict(),
        "baseline": {**baseline.as_dict(), "scale": round(scale, 6)},
        "interim": period.end < contest.ends_at,
        "rules": {"min_reps": MIN_REPS, "min_events": MIN_EVENTS, "confidence": CONFIDENCE},
        "participants": len(participants),
        "comparison_reps": len(comparison),
        "kpis": report,
    }


def _kpi_report(
    kpi: str,
    before: Mapping[str, float],
    during: Mapping[str, float],
    events: int,
    participants: Sequence[str],
    comparison: Sequence[str],
    directory: Directory,
    contest: Contest,
    baseline_logged: bool,
) -> dict[str, Any]:
    changes = [during.get(r, 0) - before.get(r, 0) for r in participants]
    active = [r for r in participants if before.get(r, 0) or during.get(r, 0)]
    active_comparison = [r for r in comparison if before.get(r, 0) or during.get(r, 0)]
    thin = len(active) < MIN_REPS or events < MIN_EVENTS
    estimate: dict[str, Any]
    if len(active_comparison) >= MIN_REPS:
        control = [during.get(r, 0) - before.get(r, 0) for r in comparison]
        interval = welch_interval(changes, control)
        method = "difference_in_differences"
    else:
        interval = mean_interval(changes)
        method = "before_after"
    verdict = _verdict(interval, thin, baseline_logged)
    mean_baseline = statistics.fmean([before.get(r, 0) for r in participants]) if participants else 0
    estimate = {
        "method": method,
        "per_rep": _round(interval[0]) if interval else None,
        "ci95": [_round(interval[1]), _round(interval[2])] if interval else None,
        "relative_pct": _round(100 * interval[0] / mean_baseline) if interval and mean_baseline else None,
    }
    teams: dict[str, list[str]] = {}
    for rep_id in participants:
        rep = directory.reps[rep_id]
        teams.setdefault(rep.team or "", []).append(rep_id)
    zh, en = REASONS[verdict]
    return {
        "kpi": kpi,
        "label": kpi_label(kpi),
        "money": kpi == "revenue",
        "events": events,
        "overall": _summary(participants, before, during),
        "teams": [
            {
                "id": team,
                "name": directory.teams[team].name if team in directory.teams else team,
                **_summary(members, before, during),
            }
            for team, members in sorted(teams.items())
        ],
        "reps": [
            {
                "id": rep_id,
                "name": directory.reps[rep_id].name,
                "team": directory.reps[rep_id].team,
                "baseline": _round(before.get(rep_id, 0)),
                "contest": _round(during.get(rep_id, 0)),
                "change": _round(during.get(rep_id, 0) - before.get(rep_id, 0)),
                "change_pct": _round(100 * (during.get(rep_id, 0) - before.get(rep_id, 0)) / before[rep_id])
                if before.get(rep_id)
                else None,
            }
            for rep_id in participants
        ],
        "comparison": _summary(comparison, before, during) if comparison else None,
        "estimate": estimate,
        "verdict": verdict,
        "reason": {
            "zh-CN": zh.format(reps=MIN_REPS, events=MIN_EVENTS),
            "en": en.format(reps=MIN_REPS, events=MIN_EVENTS),
        },
    }
