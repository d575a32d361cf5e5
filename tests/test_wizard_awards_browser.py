"""The contest wizard's awards and reward points in a real Chromium, in Chinese and in English: a manager gives a
contest the best-seller award (with a title of its own) and the best-team award, and reward points on its prizes;
a bad number is refused next to its field; the contest is saved as the API saves the same definition, and its close
crowns the awards and credits the points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.support.accounts import make_user
from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.closing import close_now, fast, iso  # noqa: F401 (fast: a server whose scheduler ticks every second)
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.browser]

TITLE = "十二月最佳销售"
AT_LEAST_ONE = {"zh-CN": "不能小于 1", "en": "must be at least 1"}
TOO_LONG = {"zh-CN": "最多 60 个字符", "en": "at most 60 characters"}
SERVER_KEEPS = ("id", "status", "version", "epoch")  # what the server adds or names itself
REFUSED = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"


def local_minute(calendar: Calendar, delta: timedelta) -> str:
    """A datetime-local input's value in the organisation's zone, ``delta`` from now."""
    return (calendar.now + delta).astimezone(calendar.zone).strftime("%Y-%m-%dT%H:%M")


def prize_points(admin: httpx.Client, rep: str) -> int:
    ledger = admin.get(f"/api/v1/rewards/reps/{rep}").json()["ledger"]
    return sum(int(line["points"]) for line in ledger if line.get("source") == "prize")


def as_saved(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k not in SERVER_KEEPS}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_manager_gives_a_contest_awards_and_reward_points_that_its_close_hands_out(
    browser: Browser,
    fast: RunningServer,  # noqa: F811
    locale: str,
) -> None:
    calendar = Calendar.from_clock()
    with fast.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2)
        username, password = make_user(admin, "manager", teams=org.teams)
    context, page, errors, foreign = signed_in(browser, fast, locale, username=username, password=password)
    open_wizard(page, fast)
    contest = unique("awarded")
    page.fill("input[name=name]", f"月度销冠赛 {locale}")
    page.fill("input[name=id]", contest)
    page.fill("input[name=starts_at]", local_minute(calendar, -timedelta(days=1)))
    page.fill("input[name=ends_at]", local_minute(calendar, timedelta(days=1)))
    # the monthly template's prizes: 1st (reps), 2nd–3rd (reps), 1st (teams); and one for everyone with a point
    prizes = page.locator("#prizes .prize-row")
    expect(prizes).to_have_count(3)
    page.click("#add-prize")
    prizes.nth(3).locator('[data-f="threshold"]').fill("1")
    prizes.nth(3).locator('[data-f="prize"]').fill("参与奖")
    prizes.nth(3).locator('[data-f="reward_points"]').fill("20")
    prizes.nth(2).locator('[data-f="reward_points"]').fill("50")
    first_points = prizes.nth(0).locator('[data-f="reward_points"]')
    first_points.fill("0")
    best_team = page.locator('#awards [data-award="best_team"]')
    best_team.locator('[data-f="kind"]').check()
    best_seller = page.locator('#awards [data-award="best_seller"]')
    title = best_seller.locator('[data-f="title"]')
    title.evaluate("input => input.removeAttribute('maxlength')")  # as a script could send it
    title.fill("最" * 61)  # a title ticks its award
    expect(best_seller.locator('[data-f="kind"]')).to_be_checked()

    # 0 points and a title too long: each refused next to its field, in the page's language; nothing is saved
    page.click("#launch")
    refused = prizes.nth(0).locator('label:has([data-f="reward_points"]) .field-error')
    expect(refused).to_have_text(AT_LEAST_ONE[locale])
    expect(page.locator("#prizes .field-error")).to_have_count(1)
    too_long = best_seller.locator('label:has([data-f="title"]) .field-error')
    expect(too_long).to_have_text(TOO_LONG[locale])
    expect(page.locator("#awards .field-error")).to_have_count(1)
    screenshot(page, f"wizard-awards-error-{locale}.png")
    first_points.fill("300")
    title.fill(TITLE)
    expect(refused).to_have_count(0)
    expect(too_long).to_have_count(0)
    page.locator("#awards").scroll_into_view_if_needed()
    screenshot(page, f"wizard-awards-{locale}.png")
    with page.expect_request("**/api/v1/contests") as sent:
        page.click("#launch")
    expect(page).to_have_url(f"{fast.base_url}/admin/contests/{contest}")
    body = dict(sent.value.post_data_json or {})

    with fast.admin() as admin:
        stored = admin.get(f"/api/v1/contests/{contest}").json()
        assert stored["awards"] == [{"kind": "best_seller", "title": TITLE}, {"kind": "best_team"}]
        assert [p.get("reward_points") for p in stored["prizes"]] == [300, None, 50, 20]
        assert stored["prizes"][3] == {"prize": "参与奖", "board": "reps", "threshold": 1, "reward_points": 20}
        # the same definition sent to the API by a script is saved the same
        twin = unique("twin")
        assert admin.post("/api/v1/contests", json={**body, "id": twin}).status_code == 201
        assert as_saved(admin.get(f"/api/v1/contests/{twin}").json()) == as_saved(stored)
        assert admin.post(f"/api/v1/contests/{twin}/archive").status_code == 200

    # the wizard opened on a copy of the contest shows its awards and reward points again
    open_wizard(page, fast, f"?from={contest}")
    expect(title).to_have_value(TITLE)
    expect(best_team.locator('[data-f="kind"]')).to_be_checked()
    expect(best_team.locator('[data-f="title"]')).to_have_value("")
    expect(prizes.locator('[data-f="reward_points"]').nth(0)).to_have_value("300")
    expect(prizes.locator('[data-f="reward_points"]').nth(3)).to_have_value("20")

    with fast.admin() as admin, fast.ingest() as ingest:
        a, a_mate, b = org.reps[0], org.reps[1], org.reps[2]
        moment = iso(-timedelta(minutes=30))
        sent_deals = [deal(a, "90000", occurred_at=moment), deal(b, "60000", occurred_at=moment)]
        assert ingest.post("/api/v1/events", json=sent_deals).json()["accepted"] == 2
        eventually(lambda: len(admin.get(f"/api/v1/contests/{contest}/leaderboard").json()["rows"]) >= 2)
        final = close_now(admin, contest)
        assert final["champion"] == a and final["best_team"] == org.teams[0]

        def crowned() -> dict[str, dict[str, Any]]:
            listed = admin.get("/api/v1/awards", params={"contest": contest}).json()["awards"]
            return {c["award"]: c for c in listed} if len(listed) == 2 else {}

        by_kind = eventually(crowned, what="both awards crowned")
        assert by_kind["best_seller"]["winner"] == a and by_kind["best_seller"]["title"] == TITLE
        assert by_kind["best_team"]["winner"] == org.teams[0]
        # 1st: 300, the team prize: 50 to each member of the best team, everyone with a point: 20
        owed = {a: 300 + 50 + 20, a_mate: 50, b: 20}
        eventually(lambda: {rep: prize_points(admin, rep) for rep in owed} == owed, what="the prizes' reward points")
    assert [e for e in errors if e != REFUSED] == [] and not foreign, (errors, foreign)  # but the launch refused
    context.close()
