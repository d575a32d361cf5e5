"""Public recognition in Chromium, in both languages: the TV's hall of fame slide lists the awards a closed contest
crowned, last month's record deal and the longest streak; a manager's kudos, given on the console's dashboard,
reaches the TV as a full celebration card (the manager's words as text, never as markup), the console's feed and
the rep's phone, which also lists the rep's award."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from game.work_calendar import WorkCalendar
from tests.support.browser import screenshot, signed_in, watch_page
from tests.support.calendar import Calendar
from tests.support.closing import closed_contest, fast  # noqa: F401 (fixture)
from tests.support.org import deal, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.browser]

TITLE = "十二月最佳销售"
TEXT = {
    "zh-CN": {
        "kudos": "点赞表彰！",
        "streak": "连续 {n} 个工作日开单",
        "team_award": "最佳团队奖",
        "won": f"你获得了：{TITLE}",
    },
    "en": {
        "kudos": "Kudos!",
        "streak": "{n} working days in a row",
        "team_award": "Best team award",
        "won": f"You won: {TITLE}",
    },
}


@dataclass
class Floor:
    token: str
    champion: str
    rep_login: tuple[str, str]
    streak: int  # working days in a row the champion has deals on, as the test counts them


WORKING = WorkCalendar("CN")  # the server's calendar when nobody set one: China's holidays and 调休 days


def last_working_days(calendar: Calendar, count: int) -> list[int]:
    """``days_ago`` of the ``count`` working days before today, newest first."""
    found, days_ago = [], 1
    while len(found) < count:
        if WORKING.is_working_day(calendar.day(days_ago)):
            found.append(days_ago)
        days_ago += 1
    return found


@pytest.fixture(scope="module")
def floor(fast: RunningServer) -> Iterator[Floor]:  # noqa: F811
    """A contest that closed with awards (rep a the best seller), a deal of a's last month (its record, decided by
    the scheduler) and a's deals on the last three working days (a streak of three, or four with today's), and a
    TV showing the contest's board and the hall of fame."""
    calendar = Calendar.from_clock()
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, _b = closed_contest(
            admin, ingest, awards=[{"kind": "best_seller", "title": TITLE}, {"kind": "best_team"}]
        )
        streak_days = last_working_days(calendar, 3)
        # at local midnight: before the closed contest began (a day ago), so they never reach it as late events
        # (a correction of its awards would then arrive after the test's kudos)
        events = [deal(a, "70000", occurred_at=calendar.at(d, hour=0)) for d in streak_days]
        # the closed contest's deal an hour ago: on a working day today it lengthens the streak by one (the last
        # working day before today is its newest day); yesterday's (just after midnight) is already in it
        closing_day = (calendar.now - timedelta(hours=1)).astimezone(calendar.zone).date()
        extends = WORKING.is_working_day(closing_day) and closing_day not in {calendar.day(d) for d in streak_days}
        streak = 3 + int(extends)
        events.append(deal(a, "880000", occurred_at=calendar.last_month(days_before_its_end=2).isoformat()))
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == 4

        def fame_complete() -> bool:
            wall = admin.get("/api/v1/wall/fame").json()
            # the record is the ¥880,000 deal once the scheduler decided (or, just after midnight on the 1st,
            # decided again: the closed contest's deals an hour or two ago were last month's too)
            records = [r["amount"] for r in wall["records"]]
            return len(wall["champions"]) == 2 and "880000" in records and bool(wall["streaks"])

        eventually(fame_complete, what="the awards, the record and the streak in the hall of fame")
        # a live contest of the same reps: the screens watching it hear the moments meant for every screen
        live = {k: v for k, v in org.definition.items() if k != "awards"}
        live.update(id=unique("live"), starts_at=calendar.starts, ends_at=calendar.ends(), grace_hours=72)
        assert admin.post("/api/v1/contests", json=live).status_code == 201
        playlist = [{"board": f"contest:{live['id']}", "seconds": 60}, {"kind": "fame", "seconds": 60}]
        display = admin.post("/api/v1/displays", json={"name": "荣誉墙", "playlist": playlist})
        assert display.status_code == 201, display.text
        username = f"rep-{uuid.uuid4().hex[:6]}"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": "phone-password-1", "rep": a})
    yield Floor(display.json()["token"], a, (username, "phone-password-1"), streak)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_hall_of_fame_and_kudos_on_the_tv_and_the_phone(
    browser: Browser,
    fast: RunningServer,  # noqa: F811
    floor: Floor,
    locale: str,
) -> None:
    text = TEXT[locale]
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale).new_page()
    tv_errors, tv_foreign = watch_page(tv, fast)
    tv.goto(f"{fast.base_url}/tv/{floor.token}")
    tv.evaluate("window.arenaTv.show(1)")
    champions = tv.locator("#fame-champions li")
    expect(champions).to_have_count(2)
    expect(champions.nth(0)).to_contain_text("销售 0-0")
    expect(tv.locator("#fame-champions")).to_contain_text(TITLE)
    expect(tv.locator("#fame-champions")).to_contain_text(text["team_award"])
    expect(tv.locator("#fame-records li").first).to_contain_text("880,000")
    expect(tv.locator("#fame-streaks li").first).to_contain_text(text["streak"].format(n=floor.streak))
    screenshot(tv, f"tv-hall-of-fame-{locale}.png")

    phone = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale, is_mobile=True).new_page()
    phone_errors, phone_foreign = watch_page(phone, fast)
    phone.goto(f"{fast.base_url}/login?next=/m")
    phone.fill("input[name=username]", floor.rep_login[0])
    phone.fill("input[name=password]", floor.rep_login[1])
    phone.click("button[type=submit]")
    expect(phone).to_have_url(f"{fast.base_url}/m")
    expect(phone.locator("#recognition-list")).to_contain_text(text["won"])
    expect(phone.locator("#live")).to_have_text("实时" if locale == "zh-CN" else "Live")

    words = f"<b>本周三单</b> {locale}"
    console = signed_in(browser, fast, locale)  # the manager's console: kudos from the dashboard's form
    console.page.select_option("#kudos-form select[name=rep]", floor.champion)
    console.page.fill("#kudos-form input[name=message]", words)
    console.page.click("#kudos-form button")
    expect(console.page.locator("#recognition li").first).to_contain_text(words)
    expect(tv.locator("#celebration")).to_be_visible(timeout=10_000)
    expect(tv.locator("#celebration-kicker")).to_have_text(text["kudos"])
    expect(tv.locator("#celebration-name")).to_have_text("销售 0-0")
    expect(tv.locator("#celebration-detail")).to_contain_text(words)  # the words as text: no <b> element made
    assert tv.locator("#celebration-detail b").count() == 0
    screenshot(tv, f"tv-kudos-{locale}.png")
    expect(phone.locator("#recognition-list li").first).to_contain_text(words)  # live: the page was not reloaded
    screenshot(phone, f"phone-recognition-{locale}.png")
    for errors, foreign in ((tv_errors, tv_foreign), (phone_errors, phone_foreign), console[2:]):
        assert not errors, errors
        assert not foreign, foreign
    console.context.close()
    tv.context.close()
    phone.context.close()
