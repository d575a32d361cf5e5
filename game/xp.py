"""Experience points and levels: every rep's long game, beside the contests.

XP follows fixed workspace rules (below), lands on rolling boards for the day, ISO week, month, quarter
and all time — periods taken in the organisation's time zone, never the server's — and lifetime XP
sets the rep's level. Deals also leave "facts" (amount, time, new customer) that badges are judged on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from game.events import Event

WINDOWS = ("day", "week", "month", "quarter", "all")
# How long a window's board is kept after it closes, in seconds (the event log can rebuild any of them).
RETENTION = {"day": 40 * 86400, "week": 120 * 86400, "month": 400 * 86400, "quarter": 800 * 86400, "all": 0}
FACTS_RETENTION = 400 * 86400
CAP_RETENTION = 3 * 86400  # a day's daily-cap counts, kept past their first write

# A rep's facts version and lifetime deal count are one number (``keys.XpKeys.tally``), so one HINCRBY moves both:
# each change of the rep's facts adds TALLY_STEP plus one (a deal won) or minus one (a deal undone). The count is
# the low 32 bits, signed (a deal counted before the tally existed and undone since leaves -1 there); the number only
# ever grows, so it is the version a badge judgement compares.
TALLY_STEP = 2**32
TALLY_WON, TALLY_UNDONE = TALLY_STEP + 1, TALLY_STEP - 1

# XP rules: (flat XP, money per XP or None, daily cap or None) per event type.
XP_RULES: dict[str, tuple[int, Decimal | None, int | None]] = {
    "deal.won": (10, Decimal(1000), None),
    "customer.new": (20, None, None),
    "meeting.held": (5, None, 50),
    "call.logged": (1, None, 40),
    "csat.recorded": (2, None, 20),
}
NEW_CUSTOMER_BONUS = 20


@dataclass(frozen=True)
class Tally:
    """What badges are judged against: the facts version (text, compared as it is) and lifetime won deals."""

    version: str
    deals: int


def read_tally(tally: int, earlier_version: int, earlier_deals: int) -> Tally:
    """A rep's tally from its number and the hashes written before it (``XP_FACTS_VERSION``, ``XP_DEAL_COUNTS``:
    never written again, so their values only add to it). The version is as ``sync_badges.lua`` reads it."""
    low = tally % TALLY_STEP
    deals = low - TALLY_STEP if low >= TALLY_STEP // 2 else low
    return Tally(f"{earlier_version}:{tally}", earlier_deals + deals)


@dataclass(frozen=True)
class Level:
    number: int
    min_xp: int
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


LEVELS = (
    Level(1, 0, "青铜", "Bronze"),
    Level(2, 500, "白银", "Silver"),
    Level(3, 2_000, "黄金", "Gold"),
    Level(4, 5_000, "铂金", "Platinum"),
    Level(5, 12_000, "钻石", "Diamond"),
    Level(6, 25_000, "星耀", "Star"),
    Level(7, 50_000, "王者", "Legend"),
)


def level_for(xp: int) -> Level:
    current = LEVELS[0]
    for level in LEVELS:
        if xp >= level.min_xp:
            current = level
    return current


def next_level(xp: int) -> Level | None:
    return next((level for level in LEVELS if level.min_xp > xp), None)


def window_keys(moment: datetime, zone: ZoneInfo) -> dict[str, str]:
    """The period each window board of ``moment`` belongs to, in the organisation's time zone."""
    return dict(_windows_of(moment.astimezone(zone).date()))


@lru_cache(maxsize=4096)
def _windows_of(day: date) -> tuple[tuple[str, str], ...]:
    """A day's periods (every event of a day asks for the same: worked out once)."""
    iso_year, iso_week, _ = day.isocalendar()
    return (
        ("day", day.isoformat()),
        ("week", f"{iso_year}-W{iso_week:02d}"),
        ("month", f"{day:%Y-%m}"),
        ("quarter", f"{day.year}-Q{(day.month - 1) // 3 + 1}"),
        ("all", "all"),
    )


def xp_for(event: Event, currency: str, kind: str | None = None) -> tuple[int, int | None]:
    """XP an event earns before caps, and the daily cap that applies to its type (None: uncapped); ``kind``: the
    type to score it as, where another than its own (an update scores as the deal it replaces)."""
    kind = kind or event.type
    rule = XP_RULES.get(kind)
    if rule is None:
        return 0, None
    flat, per, cap = rule
    xp = Decimal(flat)
    if per is not None and event.amount is not None and event.currency == currency:
        xp += event.amount / per
    if kind == "deal.won" and event.attrs.get("new_customer"):
        xp += NEW_CUSTOMER_BONUS
    return int(xp.to_integral_value(rounding=ROUND_FLOOR)), cap


@dataclass(frozen=True)
class XpChange:
    """What one event asks of the XP boards and the badge facts (applied by apply_xp.lua)."""

    event_key: str
    deal_key: str
    undo: bool
    rep: str
    kind: str  # the event type the XP rule matched (deal.won for updates)
    xp: int
    cap: int | None
    day: str
    windows: dict[str, str]
    facts_month: str
    amount: str | None
    occurred_epoch: int
    new_customer: bool
    is_deal: bool


def decide_xp(event: Event, zone: ZoneInfo, currency: str) -> XpChange | None:
    undo = event.type in ("deal.reversed", "deal.updated")
    scored = "deal.won" if event.type == "deal.updated" else event.type
    xp, cap = (0, None) if event.type == "deal.reversed" else xp_for(event, currency, scored)
    if not undo and xp == 0:
        return None
    windows = window_keys(event.occurred_at, zone)
    return XpChange(
        event_key=event.key,
        deal_key=event.ref_key if undo and event.ref_key else event.key,
        undo=undo,
        rep=event.rep,
        kind=scored,
        xp=xp,
        cap=cap,
        day=windows["day"],
        windows=windows,
        facts_month=windows["month"],
        amount=str(event.amount) if event.amount is not None and scored == "deal.won" else None,
        occurred_epoch=int(event.occurred_at.timestamp()),
        new_customer=bool(event.attrs.get("new_customer")),
        is_deal=scored == "deal.won" and event.type != "deal.reversed",
    )
