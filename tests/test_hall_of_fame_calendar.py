"""The hall of fame's longest streaks count the organisation's working days (``/api/v1/org/calendar``): a holiday
inside a streak does not break it, a 调休 make-up Saturday does when nobody sold on it and counts when they did."""

from __future__ import annotations

from datetime import datetime, time

import httpx
import pytest

from tests.support.calendar import Calendar
from tests.support.org import deal, make_org
from tests.support.waiting import eventually

# A server of its own: the organisation's calendar is one for the whole server, and the wall lists every rep.
pytestmark = [pytest.mark.own_server]


def streaks(admin: httpx.Client) -> dict[str, int]:
    return {s["name"]: s["days"] for s in admin.get("/api/v1/wall/fame").json()["streaks"]}


def test_the_hall_of_fames_streaks_follow_the_organisations_working_days(
    admin: httpx.Client, ingest: httpx.Client
) -> None:
    calendar = Calendar.from_clock()
    d = calendar.past_week()
    org = make_org(admin, teams=1, reps_per_team=3)
    sold_on = {
        org.reps[0]: ["mon", "tue", "thu", "fri"],  # around Wednesday
        org.reps[1]: ["thu", "fri", "sat", "next_mon"],  # Saturday too
        org.reps[2]: ["thu", "fri", "next_mon", "next_tue"],  # not on Saturday
    }
    events = [
        deal(rep, "10000", occurred_at=datetime.combine(d[day], time(11), calendar.zone).isoformat())
        for rep, days in sold_on.items()
        for day in days
    ]
    assert ingest.post("/api/v1/events", json=events).json()["accepted"] == len(events)
    around_wednesday, with_saturday, without_saturday = "销售 0-0", "销售 0-1", "销售 0-2"

    # Wednesday a holiday, Saturday a make-up working day
    days = {"country": "OTHER", "holidays": [d["wed"].isoformat()], "workdays": [d["sat"].isoformat()]}
    assert admin.put("/api/v1/org/calendar", json=days).status_code == 200
    expected = {around_wednesday: 4, with_saturday: 4, without_saturday: 2}
    eventually(lambda: streaks(admin) == expected, what=f"streaks on the organisation's days: {expected}")

    # without the organisation's days: Monday to Friday
    assert admin.put("/api/v1/org/calendar", json={"country": "OTHER"}).status_code == 200
    assert streaks(admin) == {around_wednesday: 2, with_saturday: 3, without_saturday: 4}
