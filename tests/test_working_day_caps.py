"""Daily caps per working day (game/cap_days.py): a day off counts against the cap of the working day before it,
a make-up Saturday has a cap of its own, and the calendar is frozen into the contest when it is saved. The live
board, a rescore from the log (after the organisation's calendar changed) and the in-memory replay all agree, on a
calendar this test lays out around today: a weekday holiday and a make-up Saturday, both in the past."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from game.cap_days import WorkingDayCaps, cap_day
from game.contest_replay import ContestReplay
from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.scoring import decide
from game.work_calendar import WorkCalendar
from tests.support.browser import signed_in
from tests.support.calendar import SHANGHAI
from tests.support.org import make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.own_server  # the organisation's calendar is changed here

CAP = 3


def test_a_day_off_counts_against_the_working_day_before_it() -> None:
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday() + 7)
    saturday, sunday = monday + timedelta(days=5), monday + timedelta(days=6)
    weekends = WorkingDayCaps()
    assert cap_day(saturday, monday, weekends) == cap_day(sunday, monday, weekends) == monday + timedelta(days=4)
    assert cap_day(monday + timedelta(days=2), monday, weekends) == monday + timedelta(days=2)
    # a make-up Saturday is a working day; a holiday Friday counts with Thursday
    own = WorkingDayCaps(frozenset({monday + timedelta(days=4), sunday}))
    assert cap_day(saturday, monday, own) == saturday and cap_day(sunday, monday, own) == saturday
    assert cap_day(monday + timedelta(days=4), monday, own) == monday + timedelta(days=3)
    # days off that open a contest count on its first day; calendar days count as themselves
    assert cap_day(sunday, sunday, weekends) == sunday and cap_day(sunday, monday, None) == sunday


def _layout(today: date) -> dict[str, date]:
    """A make-up Saturday at least two days back, a weekday holiday (Wednesday) before it, and the contest's span
    from the Saturday a week earlier (a day off that opens the contest) to the day after tomorrow."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    if (today - saturday).days < 2:
        saturday -= timedelta(days=7)
    return {
        "start": saturday - timedelta(days=7),
        "tuesday": saturday - timedelta(days=4),
        "holiday": saturday - timedelta(days=3),
        "thursday": saturday - timedelta(days=2),
        "saturday": saturday,
        "sunday": saturday + timedelta(days=1),
        "end": today + timedelta(days=2),
    }


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).isoformat()


def _calls(rep: str, days: dict[str, date]) -> list[dict[str, Any]]:
    """Calls at 1 point each under a cap of 3: Tuesday 2 and the holiday 2 (one cap: 3), Thursday 1, the make-up
    Saturday 3 and Sunday 2 (one cap: 3), and 2 on the Saturday that opens the contest (its first day: 2)."""
    counts = [("tuesday", 2), ("holiday", 2), ("thursday", 1), ("saturday", 3), ("sunday", 2), ("start", 2)]
    return [
        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": _at(days[name], 9 + n)}
        for name, count in counts
        for n in range(count)
    ]


BY_WORKING_DAY = 3 + 1 + 3 + 2
BY_CALENDAR_DAY = 2 + 2 + 1 + 3 + 2 + 2


def _rescored(admin: httpx.Client, contest: str) -> None:
    epoch = admin.get(f"/api/v1/contests/{contest}").json()["epoch"]
    assert admin.post(f"/api/v1/contests/{contest}/rescore").status_code == 202

    def done() -> bool:
        progress = admin.get(f"/api/v1/contests/{contest}/rescore").json()
        return bool(progress["epoch"] > epoch and progress["state"] == "done")

    eventually(done, timeout=30, what=f"{contest} rescored")


def test_live_rescore_and_replay_agree_across_a_holiday_and_a_make_up_saturday(
    admin: httpx.Client, ingest: httpx.Client
) -> None:
    days = _layout(datetime.now(UTC).astimezone(SHANGHAI).date())
    calendar = {
        "country": "OTHER",
        "holidays": [days["holiday"].isoformat()],
        "workdays": [days["saturday"].isoformat()],
    }
    assert admin.put("/api/v1/org/calendar", json=calendar).status_code == 200
    window = {"starts_at": _at(days["start"], 0), "ends_at": _at(days["end"], 0)}
    rules = [{"on": "call.logged", "points": 1, "cap_per_day": CAP}]
    org = make_org(admin, teams=1, reps_per_team=2, rules=rules, **window)  # new: per working day by default
    calendar_days = {**org.definition, "id": unique("contest"), "cap_days": "calendar"}
    assert admin.post("/api/v1/contests", json=calendar_days).status_code == 201

    stored = admin.get(f"/api/v1/contests/{org.contest}").json()
    assert stored["cap_days"] == "working"
    off = set(stored["days_off"])
    assert days["holiday"].isoformat() in off and days["sunday"].isoformat() in off and days["start"].isoformat() in off
    assert days["saturday"].isoformat() not in off and days["tuesday"].isoformat() not in off
    assert "days_off" not in admin.get(f"/api/v1/contests/{calendar_days['id']}").json()

    rep = org.reps[0]
    sent = _calls(rep, days)
    assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == len(sent)
    eventually(lambda: scores(admin, org.contest).get(rep) == BY_WORKING_DAY, what="the working-day caps")
    eventually(lambda: scores(admin, calendar_days["id"]).get(rep) == BY_CALENDAR_DAY, what="calendar-day caps")

    # the organisation's calendar changes afterwards (the holiday worked, the Saturday off): a rescore reads the
    # days the contest froze when it was saved, so the board stays as it was scored live
    assert admin.put("/api/v1/org/calendar", json={"country": "OTHER"}).status_code == 200
    try:
        _rescored(admin, org.contest)
        assert scores(admin, org.contest)[rep] == BY_WORKING_DAY
        _rescored(admin, calendar_days["id"])
        assert scores(admin, calendar_days["id"])[rep] == BY_CALENDAR_DAY

        # the stored definition replayed: the simulator (the server's replay) and this process's replay, both the
        # fast path and the reference path through decide()
        simulated = admin.post("/api/v1/contests/simulate", json={"definition": stored})
        assert simulated.status_code == 200, simulated.text
        assert {row["id"]: row["score"] for row in simulated.json()["standings"]}[rep] == BY_WORKING_DAY
    finally:
        assert admin.put("/api/v1/org/calendar", json={"country": "CN"}).status_code == 200

    contest = parse_contest(stored, default_timezone="Asia/Shanghai", default_currency="CNY")
    directory = Directory(
        reps={r: Rep(r, r, org.teams[0]) for r in org.reps}, teams={org.teams[0]: Team(org.teams[0], "T")}
    )
    now = datetime.now(UTC)
    events = [parse_event(raw, now=now, default_currency="CNY") for raw in sent]
    reference = ContestReplay(contest, directory)
    for event in events:
        for change in decide(event, [contest], directory):
            reference.apply(change)
    assert reference.rep_totals[rep] == BY_WORKING_DAY
    buckets = {change.day for event in events for change in decide(event, [contest], directory)}
    assert buckets == {days[name].isoformat() for name in ("start", "tuesday", "thursday", "saturday")}


CHOICE = {
    "zh-CN": ("每日上限计算方式", "按自然日", "按工作日（休息日计入前一个工作日）", "每日上限按工作日计"),
    "en": ("Daily caps count per", "Calendar day", "Working day (a day off", "daily caps count per working day"),
}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_rules_form_offers_calendar_or_working_days(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str
) -> None:
    label, calendar_day, working_day, clause = CHOICE[locale]
    org = make_org(admin, teams=1, reps_per_team=1, rules=[{"on": "call.logged", "points": 1, "cap_per_day": CAP}])
    assert admin.get(f"/api/v1/contests/{org.contest}").json()["cap_days"] == "working"
    _, page, errors, foreign = signed_in(browser, server, locale)
    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    expect(page.locator("blockquote").filter(has_text=clause)).to_have_count(1)  # the rules in words say so
    section = page.locator("#rule-change")
    choice = section.locator("label.cap-days")
    expect(choice).to_contain_text(label)
    expect(choice.locator("select")).to_have_value("working")
    expect(choice.locator("option[value=calendar]")).to_have_text(calendar_day)
    expect(choice.locator("option[value=working]")).to_contain_text(working_day)
    choice.locator("select").select_option("calendar")
    section.locator("#rule-preview").click()
    expect(section.locator("#rule-moves")).to_be_visible(timeout=20_000)
    section.locator("textarea[name=change_reason]").fill("按自然日" if locale == "zh-CN" else "By calendar day")
    section.locator("#rule-confirm").click()
    eventually(
        lambda: admin.get(f"/api/v1/contests/{org.contest}").json()["cap_days"] == "calendar",
        timeout=30,
        what="the contest caps per calendar day",
    )
    stored = admin.get(f"/api/v1/contests/{org.contest}").json()
    assert "days_off" not in stored and stored["version"] == 2
    assert not errors and not foreign


def test_a_clone_takes_the_days_off_of_its_own_span(admin: httpx.Client) -> None:
    assert admin.put("/api/v1/org/calendar", json={"country": "CN"}).status_code == 200
    china = WorkCalendar("CN")

    def days_off(first: date) -> list[str]:
        return [d.isoformat() for n in range(7) if not china.is_working_day(d := first + timedelta(days=n))]

    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    monday = today + timedelta(days=7 - today.weekday())
    week = {"starts_at": _at(monday, 0), "ends_at": _at(monday + timedelta(days=7), 0)}
    rules = [{"on": "call.logged", "points": 1, "cap_per_day": CAP}]
    org = make_org(admin, teams=1, reps_per_team=1, rules=rules, **week)
    assert admin.get(f"/api/v1/contests/{org.contest}").json()["days_off"] == days_off(monday)
    later = monday + timedelta(days=14)
    clone = {"id": unique("clone"), "starts_at": _at(later, 0), "ends_at": _at(later + timedelta(days=7), 0)}
    assert admin.post(f"/api/v1/contests/{org.contest}/clone", json=clone).status_code == 201
    copied = admin.get(f"/api/v1/contests/{clone['id']}").json()
    assert copied["cap_days"] == "working" and copied["days_off"] == days_off(later)


def test_charts_put_points_on_the_day_earned_and_capped_points_on_their_working_day() -> None:
    """A day off's uncapped deal shows on its own day in the contest's per-day charts; its capped calls count
    against (and show on) the working day before it."""
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday() + 7)
    friday, saturday = monday + timedelta(days=4), monday + timedelta(days=5)
    definition = {
        "id": "charts",
        "name": "Charts",
        "starts_at": _at(monday, 0),
        "ends_at": _at(monday + timedelta(days=7), 0),
        "rules": [{"on": "deal.won", "points": 10}, {"on": "call.logged", "points": 1, "cap_per_day": CAP}],
        "cap_days": "working",
        "days_off": [saturday.isoformat(), (saturday + timedelta(days=1)).isoformat()],
    }
    contest = parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    directory = Directory(reps={"r": Rep("r", "r", "t")}, teams={"t": Team("t", "T")})
    raw = [
        {"id": "deal-sat", "type": "deal.won", "rep": "r", "amount": 100, "occurred_at": _at(saturday, 10)},
        *(
            {"id": f"call-{n}", "type": "call.logged", "rep": "r", "occurred_at": _at(saturday, 11 + n)}
            for n in range(2)
        ),
        *({"id": f"call-f{n}", "type": "call.logged", "rep": "r", "occurred_at": _at(friday, 9 + n)} for n in range(2)),
    ]
    replay = ContestReplay(contest, directory)
    now = datetime.now(UTC)
    for event in (parse_event(item, now=now, default_currency="CNY") for item in raw):
        for change in decide(event, [contest], directory):
            replay.apply(change)
    by_day = replay.boards().contributions[("t", "r")]
    assert by_day == {saturday.isoformat(): 10, friday.isoformat(): CAP}
