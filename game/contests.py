"""Contest definitions: JSON data in, a validated immutable ``Contest`` out.

Every problem is reported with the path of the field at fault (``rules[1].points_per``), all at once,
so a manager fixing a definition sees the whole list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from game.cap_days import WorkingDayCaps, parse_cap_days
from game.errors import Collector
from game.events import TYPE_PATTERN, parse_amount, parse_time
from game.prize_money import prize_giving
from game.ranking import MAX_CONTEST_SECONDS, MAX_SCORE
from game.rules import Rule, parse_multipliers, parse_rule

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
KINDS = ("individual", "team", "head_to_head", "race")
SCORINGS = ("points", "percent_of_target")
RECURRENCES = ("monthly", "weekly")
DEFAULT_GRACE_HOURS = 72
# Percent-of-target boards keep tenths of a percent so that 63.4 % and 63.9 % do not tie.
PERCENT_SCALE = 1000
MAX_RULES = 20
PRIZE_TIES = ("first", "share")


@dataclass(frozen=True)
class TeamScore:
    mode: str  # "sum" | "average" | "best"
    best_n: int = 0

    def __str__(self) -> str:
        return f"best:{self.best_n}" if self.mode == "best" else self.mode


@dataclass(frozen=True)
class Prize:
    """A prize by final rank range (``rank`` 1 or [2, 3]) or for everyone reaching ``threshold`` points.

    A rank prize needs at least ``min_score`` points (default 1) and settles a tie at its edge by ``ties``:
    ``"first"`` (whoever reached the score first) or ``"share"``; who wins is ``game.prizes``. ``reward_points``
    go to each winner besides (``game/rewards.py``)."""

    prize: str
    rank_from: int | None = None
    rank_to: int | None = None
    threshold: int | None = None
    board: str = "reps"
    min_score: int | None = None
    ties: str = "first"
    reward_points: int | None = None


@dataclass(frozen=True)
class Confirm:
    """Provisional points: a won deal counts provisionally until an event of type ``on`` names it (``ref``).

    Days count from when the win reached the arena (its ``received_at``), so history imported today has its
    full window too. With ``auto_after_days`` a deal nobody reversed is confirmed after that many days;
    without it, a deal still unconfirmed after ``within_days`` drops out (it expires, like a reversal).
    """

    on: str
    within_days: int
    auto_after_days: int | None = None

    @property
    def window_seconds(self) -> int:
        """Seconds from a win's arrival to its settlement (auto-confirmation, or expiry)."""
        days = self.auto_after_days if self.auto_after_days is not None else self.within_days
        return days * 86400


@dataclass(frozen=True)
class Contest:
    id: str
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    currency: str
    rules: tuple[Rule, ...]
    team_score: TeamScore
    teams: frozenset[str] | None = None
    reps: frozenset[str] | None = None
    # head_to_head: the two sides (rep ids, or team ids when side_type is "team")
    sides: tuple[str, ...] = ()
    side_type: str = "rep"
    # race: first to reach ``target`` points wins; ``goal``: a shared total for the thermometer
    target: int | None = None
    goal: int | None = None
    # a won deal of at least this amount (in ``currency``) earns the TV's full celebration card
    big_deal: Decimal | None = None
    scoring: str = "points"
    targets: dict[str, int] = field(default_factory=dict)
    default_target: int | None = None
    divisions: dict[str, frozenset[str]] = field(default_factory=dict)
    prizes: tuple[Prize, ...] = ()
    recurrence: str | None = None
    grace_hours: int = DEFAULT_GRACE_HOURS
    confirm: Confirm | None = None
    working_day_caps: WorkingDayCaps | None = None  # daily caps per working day (game/cap_days.py), else per day
    # Lifecycle and versioning, kept beside the definition (not part of what a manager writes):
    state: str = "active"
    version: int = 1
    epoch: int = 1
    definition: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def status_at(self, now: datetime) -> str:
        """draft → scheduled → live → ended → archived; ``paused`` while a manager holds it."""
        if self.state in ("draft", "archived", "paused"):
            return self.state
        if now < self.starts_at:
            return "scheduled"
        return "live" if now < self.ends_at else "ended"

    def accepts_at(self, now: datetime) -> bool:
        """Whether events received now may still change the boards: live, or ended within the grace period."""
        if self.state != "active":
            return False
        return now < self.ends_at + timedelta(hours=self.grace_hours)

    def accepts_event_at(self, event_type: str, now: datetime) -> bool:
        """``accepts_at``, and beyond it, while deals may still be confirmed: confirmations and reversals
        (a deal that is still provisional after the grace period is settled by them)."""
        if self.accepts_at(now):
            return True
        if self.confirm is None or self.state != "active" or event_type not in (self.confirm.on, "deal.reversed"):
            return False
        return now < self.confirmations_until

    @property
    def confirmations_until(self) -> datetime:
        """The last moment a deal of this contest can still be provisional: a win received at the end of the
        grace period, plus the confirmation window."""
        window = self.confirm.window_seconds if self.confirm else 0
        return self.ends_at + timedelta(hours=self.grace_hours, seconds=window)

    def target_for(self, rep_id: str) -> int | None:
        return self.targets.get(rep_id, self.default_target)

    def division_of(self, rep_id: str) -> str | None:
        for name, members in self.divisions.items():
            if rep_id in members:
                return name
        return None

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def includes(self, rep_id: str, team_id: str | None) -> bool:
        if self.kind == "head_to_head":
            return (rep_id if self.side_type == "rep" else team_id) in self.sides
        if self.reps is not None and rep_id in self.reps:
            return True
        if self.teams is not None:
            return team_id is not None and team_id in self.teams
        return self.reps is None


def _parse_team_score(raw: Any, errors: Collector) -> TeamScore:
    if raw is None or raw == "sum":
        return TeamScore("sum")
    if raw == "average":
        return TeamScore("average")
    if isinstance(raw, str) and (match := re.fullmatch(r"best:([1-9][0-9]{0,2})", raw)):
        return TeamScore("best", int(match.group(1)))
    errors.add("team_score", 'must be "sum", "average" or "best:N" (N from 1 to 999)')
    return TeamScore("sum")


def _id_set(raw: Any, errors: Collector, name: str) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        errors.add(name, "must be a list of ids")
        return None
    return frozenset(raw)


def parse_contest(raw: Any, *, default_timezone: str, default_currency: str) -> Contest:
    """Validate a contest definition; raise ValidationError listing every field at fault."""
    errors = Collector()
    if not isinstance(raw, dict):
        errors.add("", "a contest definition must be a JSON object")
        errors.raise_if_any()
    contest_id = raw.get("id")
    if not isinstance(contest_id, str) or not ID_PATTERN.match(contest_id):
        errors.add("id", "is required: 1-64 letters, digits, _ or -, starting with a letter or digit")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors.add("name", "is required: a display name of at most 120 characters")
    kind = raw.get("kind", "individual")
    if kind not in KINDS:
        errors.add("kind", f"must be one of {', '.join(KINDS)}")
    starts_at = parse_time(raw.get("starts_at"), errors, "starts_at")
    ends_at = parse_time(raw.get("ends_at"), errors, "ends_at")
    if starts_at and ends_at:
        if ends_at <= starts_at:
            errors.add("ends_at", "must be after starts_at")
        elif (ends_at - starts_at).total_seconds() > MAX_CONTEST_SECONDS:
            errors.add("ends_at", f"a contest may last at most {MAX_CONTEST_SECONDS // 86400} days")
    timezone = raw.get("timezone", default_timezone)
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", f"is not a known time zone: {timezone!r}")
        timezone = default_timezone
    currency = raw.get("currency", default_currency)
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        errors.add("currency", "must be a three-letter ISO 4217 code")
        currency = default_currency
    rules_raw = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_raw, list) or not rules_raw:
        errors.add("rules", "is required: a non-empty list of scoring rules")
    elif len(rules_raw) > MAX_RULES:
        errors.add("rules", f"at most {MAX_RULES} rules")
    else:
        for index, rule_raw in enumerate(rules_raw):
            rule_errors = Collector(f"rules[{index}]")
            rule = parse_rule(rule_raw, rule_errors)
            errors.errors.extend(rule_errors.errors)
            if rule is not None:
                rules.append(rule)
    contest_multipliers = parse_multipliers(raw.get("multipliers"), errors, "multipliers")
    if contest_multipliers:
        rules = [
            Rule(**{**rule.__dict__, "multipliers": {**contest_multipliers, **rule.multipliers}}) for rule in rules
        ]
    team_score = _parse_team_score(raw.get("team_score"), errors)
    teams = _id_set(raw.get("teams"), errors, "teams")
    reps = _id_set(raw.get("reps"), errors, "reps")
    options = _parse_options(raw, str(kind), errors)
    errors.raise_if_any()
    assert starts_at is not None and ends_at is not None
    return Contest(
        id=str(contest_id),
        name=str(name).strip(),
        kind=str(kind),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=str(timezone),
        currency=str(currency).upper(),
        rules=tuple(rules),
        team_score=team_score,
        teams=teams,
        reps=reps,
        **options,
        definition=dict(raw),
    )


def _points(raw: Any, errors: Collector, name: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_SCORE:
        errors.add(name, f"must be a whole number of points from 1 to {MAX_SCORE:,}")
        return None
    return raw


def _parse_prizes(raw: Any, errors: Collector) -> tuple[Prize, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 50:
        errors.add("prizes", 'must be a list such as [{"rank": 1, "prize": "iPhone"}, {"threshold": 500, ...}]')
        return ()
    prizes: list[Prize] = []
    for index, item in enumerate(raw):
        name = f"prizes[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("prize"), str) or not item["prize"].strip():
            errors.add(name, 'needs "prize": a description such as "¥2,000 bonus" or "团队聚餐"')
            continue
        giving = prize_giving(item, errors, name)
        rank = item.get("rank")
        threshold = item.get("threshold")
        if (rank is None) == (threshold is None):
            errors.add(name, 'needs exactly one of "rank" (1 or [2, 3]) and "threshold" (points)')
            continue
        if threshold is not None:
            if item.get("min_score") is not None or item.get("ties") is not None:
                errors.add(name, '"min_score" and "ties" belong to rank prizes: a threshold is its own minimum')
            points = _points(threshold, errors, f"{name}.threshold")
            if points is not None:
                prizes.append(Prize(item["prize"].strip(), threshold=points, **giving))
            continue
        bounds = [rank, rank] if isinstance(rank, int) and not isinstance(rank, bool) else rank
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in bounds)
            or bounds[0] > bounds[1]
        ):
            errors.add(f"{name}.rank", "must be a rank (1) or a range [from, to]")
            continue
        min_score = _points(item.get("min_score"), errors, f"{name}.min_score")
        ties = item.get("ties", "first")
        if ties not in PRIZE_TIES:
            errors.add(f"{name}.ties", 'must be "first" (whoever reached the score first) or "share"')
            ties = "first"
        prizes.append(
            Prize(
                item["prize"].strip(),
                rank_from=bounds[0],
                rank_to=bounds[1],
                min_score=min_score,
                ties=ties,
                **giving,
            )
        )
    return tuple(prizes)


def _parse_options(raw: dict[str, Any], kind: str, errors: Collector) -> dict[str, Any]:
    """The fields beyond the basics: contest kinds, targets, divisions, prizes, recurrence, grace."""
    options: dict[str, Any] = {}
    if kind == "head_to_head":
        sides = raw.get("sides")
        side_type = raw.get("side_type", "rep")
        if side_type not in ("rep", "team"):
            errors.add("side_type", 'must be "rep" or "team"')
        if (
            not isinstance(sides, list)
            or len(sides) != 2
            or not all(isinstance(x, str) and x for x in sides)
            or sides[0] == sides[1]
        ):
            errors.add("sides", "a head-to-head needs exactly two different rep (or team) ids")
        else:
            options.update(sides=tuple(sides), side_type=side_type)
    target = _points(raw.get("target"), errors, "target")
    if kind == "race" and target is None and raw.get("goal") is None:
        errors.add("target", "a race needs a target (first to reach it wins) or a shared goal")
    options.update(target=target, goal=_points(raw.get("goal"), errors, "goal"))
    if raw.get("big_deal") is not None:
        big_deal = parse_amount(raw["big_deal"], errors, "big_deal")
        if big_deal is not None and big_deal <= 0:
            errors.add("big_deal", "must be an amount above 0")
        options["big_deal"] = big_deal if big_deal is not None and big_deal > 0 else None
    scoring = raw.get("scoring", "points")
    if scoring not in SCORINGS:
        errors.add("scoring", f"must be one of {', '.join(SCORINGS)}")
    options["scoring"] = scoring
    targets = raw.get("targets", {})
    if not isinstance(targets, dict):
        errors.add("targets", 'must map rep ids to their target in points, e.g. {"east-1": 500}')
        targets = {}
    options["targets"] = {
        rep: value for rep, value in targets.items() if _points(value, errors, f"targets.{rep}") is not None
    }
    options["default_target"] = _points(raw.get("default_target"), errors, "default_target")
    if scoring == "percent_of_target" and not options["targets"] and options["default_target"] is None:
        errors.add("targets", "percent_of_target scoring needs targets per rep or a default_target")
    divisions = raw.get("divisions", {})
    if not isinstance(divisions, dict) or not all(
        isinstance(members, list) and all(isinstance(m, str) for m in members) for members in divisions.values()
    ):
        errors.add("divisions", 'must map division names to rep ids, e.g. {"rookies": ["r1"], "veterans": ["r2"]}')
        divisions = {}
    seen: set[str] = set()
    for name, members in divisions.items():
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", name):
            errors.add(f"divisions.{name}", "a division name is 1-32 letters, digits, _ or -")
        if seen & set(members):
            errors.add(f"divisions.{name}", "a rep can be in one division only")
        seen |= set(members)
    options["divisions"] = {name: frozenset(members) for name, members in divisions.items()}
    options["prizes"] = _parse_prizes(raw.get("prizes"), errors)
    recurrence = raw.get("recurrence")
    if recurrence is not None and recurrence not in RECURRENCES:
        errors.add("recurrence", f"must be one of {', '.join(RECURRENCES)}")
    options["recurrence"] = recurrence
    grace = raw.get("grace_hours", DEFAULT_GRACE_HOURS)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 24 * 90:
        errors.add("grace_hours", "must be a whole number of hours from 0 to 2160")
        grace = DEFAULT_GRACE_HOURS
    options["grace_hours"] = grace
    options["working_day_caps"] = parse_cap_days(raw, errors)
    options["confirm"] = _parse_confirm(raw.get("confirm"), [rule.get("on") for rule in raw_rules(raw)], errors)
    return options


def raw_rules(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rules = raw.get("rules")
    return [rule for rule in rules if isinstance(rule, dict)] if isinstance(rules, list) else []


CONFIRM_DAYS = 366
RESERVED_CONFIRM_TYPES = ("deal.won", "deal.reversed", "deal.updated")


def _parse_confirm(raw: Any, scored_types: list[Any], errors: Collector) -> Confirm | None:
    """``{"on": "deal.paid", "within_days": 30, "auto_after_days": 14}`` (see ``Confirm``)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add("confirm", 'must be an object such as {"on": "deal.paid", "within_days": 30}')
        return None
    on = raw.get("on")
    if not isinstance(on, str) or not TYPE_PATTERN.match(on) or len(on) > 64:
        errors.add("confirm.on", "is required: the event type that confirms a deal, e.g. deal.paid")
        on = None
    elif on in RESERVED_CONFIRM_TYPES or on in scored_types:
        errors.add("confirm.on", "must be an event type of its own: not a deal's type, nor one a rule scores")
        on = None
    days: dict[str, int | None] = {}
    for name in ("within_days", "auto_after_days"):
        value = raw.get(name)
        if value is None and name == "auto_after_days":
            days[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= CONFIRM_DAYS:
            errors.add(f"confirm.{name}", f"must be a whole number of days from 1 to {CONFIRM_DAYS}")
            value = None
        days[name] = value
    within, auto = days["within_days"], days["auto_after_days"]
    if within is not None and auto is not None and auto > within:
        errors.add("confirm.auto_after_days", "must be at most within_days")
    unknown = sorted(set(raw) - {"on", "within_days", "auto_after_days"})
    if unknown:
        errors.add("confirm", f"unknown field {unknown[0]!r}")
    if on is None or within is None or (auto is None and raw.get("auto_after_days") is not None):
        return None
    return Confirm(on, within, auto)


def definition_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
    """Field-level differences between two definitions, for the audit log ("what changed")."""
    changes: list[dict[str, Any]] = []
    for name in sorted(set(old) | set(new)):
        field_path = f"{path}.{name}" if path else name
        before, after = old.get(name), new.get(name)
        if isinstance(before, dict) and isinstance(after, dict):
            changes += definition_changes(before, after, field_path)
        elif before != after:
            changes.append({"field": field_path, "from": before, "to": after})
    return changes
