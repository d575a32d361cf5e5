"""The hall of fame (销售明星榜) as a TV shows it: past champions (the awards crowned), the months' record deals,
and the longest streaks of the last months on the organisation's working days (``GET /api/v1/org/calendar``).
Read on demand by a display's slide; every part is bounded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from game.awards import DEFAULT_TITLES, newest_first
from game.badges.facts import Fact
from game.directory import Directory
from game.hall_of_fame import MAX_CHAMPIONS, MAX_RECORDS, longest_streaks
from game.store import text

if TYPE_CHECKING:
    from server.arena import Arena

RECORD_MONTHS = 12  # records of this many months back
STREAK_MONTHS = 2  # streaks within the current month and the one before


def months_back(now: datetime, zone: Any, count: int) -> list[str]:
    """``YYYY-MM`` of the current month and the ``count - 1`` before it, newest first."""
    first = now.astimezone(zone).date().replace(day=1)
    months = []
    for _ in range(count):
        months.append(f"{first:%Y-%m}")
        first = (first - timedelta(days=1)).replace(day=1)
    return months


def _name(directory: Directory, rep: str, public: bool) -> str:
    if public:
        return directory.public_name(rep)
    known = directory.reps.get(rep)
    return known.name if known else rep


async def _recent_facts(arena: Arena, months: list[str], directory: Directory) -> list[tuple[str, list[Fact]]]:
    """Every dealer's deal facts of ``months`` (the directory's reps only)."""
    wanted = [
        (rep, month) for month in months for rep in await arena.store.month_dealers(month) if rep in directory.reps
    ]
    replies = await arena.recognition.deal_facts(wanted)
    return [
        (rep, [Fact.parse(text(deal), text(value)) for deal, value in raw.items()])
        for (rep, _month), raw in zip(wanted, replies, strict=True)
    ]


async def hall_of_fame(arena: Arena, public: bool, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    zone = arena.settings.zone
    directory = (await arena.registry.current()).directory
    crowns = newest_first(list((await arena.recognition.crowns()).values()))
    champions = []
    for crown in crowns:
        winner = crown.get("winner")
        if not winner:
            continue
        if crown.get("award") == "best_team":
            team = directory.teams.get(winner)
            name = team.name if team else winner
        else:
            name = _name(directory, winner, public)
        champions.append(
            {
                "award": crown.get("award"),
                "title": crown.get("title"),
                "default_title": DEFAULT_TITLES.get(crown.get("award") or "", {}),
                "contest_name": crown.get("contest_name"),
                "name": name,
                "at": crown.get("at"),
            }
        )
        if len(champions) >= MAX_CHAMPIONS:
            break
    store = arena.store
    records = []
    for month in months_back(now, zone, RECORD_MONTHS):
        decided = await store.month_record(month)
        if decided is None or not decided[1]:
            continue
        rep, deal = decided
        fact = next((f for f in await store.month_facts(rep, month) if f.deal == deal), None)
        if fact is not None:
            records.append({"month": month, "name": _name(directory, rep, public), "amount": str(fact.amount)})
    records.sort(key=lambda r: -float(r["amount"]))
    days_by_rep: dict[str, set[date]] = {}
    for rep, facts in await _recent_facts(arena, months_back(now, zone, STREAK_MONTHS), directory):
        days_by_rep.setdefault(rep, set()).update(f.at.astimezone(zone).date() for f in facts)
    calendar = await arena.goals.work_calendar()  # the streak badges' working days: holidays and 调休 included
    streaks = [
        {"name": _name(directory, s.rep, public), "days": s.days, "last": s.last.isoformat()}
        for s in longest_streaks(days_by_rep.items(), calendar.is_working_day)
    ]
    return {"champions": champions, "records": records[:MAX_RECORDS], "streaks": streaks}
