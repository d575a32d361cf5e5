"""The contest wizard in a real Chromium, in Chinese and in English: this month's contest scored on each rep's
target read from a CSV file, errors that stay next to the field at fault until it changes, an id that follows
the name, and files refused before upload when too large."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import Org, deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: the pages hold only the teams, reps and contests made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


LOCALES = ["zh-CN", "en"]
WORDS = {
    "zh-CN": {
        "matched": "已匹配 2 名销售，1 行未匹配",
        "taken": "已被另一个竞赛使用",
        "after": "必须晚于开始时间",
        "negative": "奖励不能是负数金额",
        "fourth": "请修改标出的内容：第 4 个奖项的奖品。",
        "live": "进行中",
        "too_large": "最多只能上传 {mb} MB",
    },
    "en": {
        "matched": "2 reps matched, 1 rows not matched",
        "taken": "is already used by another contest",
        "after": "must be after the start",
        "negative": "cannot be a negative amount of money",
        "fourth": "Please correct the marked fields: Prize 4: what is won.",
        "live": "Live",
        "too_large": "at most {mb} MB can be uploaded",
    },
}


REFUSED = re.compile(r"Failed to load resource: the server responded with a status of (409|422) .*")


def script_errors(errors: list[str]) -> list[str]:
    """Console errors but Chromium's own line for each answer the test made the server refuse."""
    return [e for e in errors if not REFUSED.fullmatch(e)]


def only_teams(page: Page, org: Org) -> None:
    """The org's teams only (the shared test server holds many other teams)."""
    page.uncheck("#everyone")
    for team in org.teams:
        page.check(f'.team-box[value="{team}"]')


def field_error(page: Page, selector: str) -> Locator:
    """The messages shown inside the label of the input ``selector``."""
    return page.locator(f"label:has({selector}) .field-error")


@pytest.mark.parametrize("locale", LOCALES)
def test_this_months_contest_scores_percent_of_targets_read_from_a_csv_file(
    browser: Browser, server: RunningServer, locale: str, tmp_path: Path
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=3)
        named = f"王小明-{uuid.uuid4().hex[:4]}"
        assert admin.put(f"/api/v1/reps/{org.reps[1]}", json={"name": named, "team": org.teams[0]}).status_code == 200
    targets = tmp_path / "targets.csv"
    rows = f"{org.reps[0]},100,rookies\n{named},200,veterans\nnobody-{uuid.uuid4().hex[:6]},50,rookies\n"
    targets.write_text("rep,target,division\n" + rows, "utf-8")
    context, page, errors, foreign = signed_in(browser, server, locale)
    open_wizard(page, server)
    page.click('#periods [data-period="this_month"]')
    before = page.input_value("input[name=id]")
    page.fill("input[name=name]", f"Target race {uuid.uuid4().hex[:6]}")
    contest_id = page.input_value("input[name=id]")
    assert contest_id != before and contest_id.startswith("target-race-")
    only_teams(page, org)
    page.select_option("select[name=scoring]", "percent_of_target")
    expect(page.locator('dd[data-explains="percent_of_target"]')).to_be_visible()
    expect(page.locator('dd[data-explains="improvement"]')).to_be_hidden()
    page.set_input_files("#targets-file", str(targets))
    expect(page.locator("#targets-summary")).to_have_text(WORDS[locale]["matched"])
    expect(page.locator("#targets-rows tbody tr")).to_have_count(3)
    expect(page.locator("#targets-rows tbody tr.row-error")).to_have_count(1)
    expect(page.locator("#targets-rows tbody tr.row-ok").nth(1)).to_contain_text(named)
    missing = page.locator("#targets-missing")
    expect(missing).to_contain_text("1")  # the third rep has no target
    page.fill("input[name=default_target]", "150")
    expect(missing).to_be_hidden()
    with page.expect_response("**/api/v1/contests/preview"):
        page.select_option("select[name=divisions_mode]", "file")
    expect(page.locator("#preview-zh")).not_to_be_empty()
    expect(page.locator("#wizard-errors")).to_be_empty()
    page.locator("#targets-rows").scroll_into_view_if_needed()
    screenshot(page, f"wizard-targets-{locale}.png")
    page.click("#launch")
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest_id}")
    expect(page.locator("#contest-status")).to_have_text(WORDS[locale]["live"])
    with server.admin() as admin:
        stored = admin.get(f"/api/v1/contests/{contest_id}").json()
    assert stored["scoring"] == "percent_of_target"
    assert stored["targets"] == {org.reps[0]: 100, org.reps[1]: 200} and stored["default_target"] == 150
    assert stored["divisions"] == {"rookies": [org.reps[0]], "veterans": [org.reps[1]]}

    # Live: the same deal is half of one rep's target and a quarter of the other's (a deal of this month, on
    # the 1st too).
    today = Calendar.from_clock().earlier_today(1).isoformat()
    with server.ingest() as ingest:
        assert (
            ingest.post(
                "/api/v1/events", json=[deal(rep, "50000", occurred_at=today) for rep in org.reps[:2]]
            ).status_code
            < 300
        )

    def standings() -> list[str] | None:
        page.reload()
        board = page.locator("table").filter(has=page.locator("th", has_text="#")).first
        rows = [row.inner_text() for row in board.locator("tbody tr").all()]
        return rows if sum(1 for r in rows if "销售 0-0" in r or named in r) == 2 else None

    rows = eventually(standings, timeout=30, what="both reps on the contest's board")
    assert "销售 0-0" in rows[0] and rows[0].endswith("50.0%")  # 50 of 100 points
    assert named in rows[1] and rows[1].endswith("25.0%")  # 50 of 200 points
    screenshot(page, f"wizard-live-{locale}.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_failed_launch_keeps_its_errors_next_to_the_fields_until_they_change(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
    context, page, errors, foreign = signed_in(browser, server, locale)
    open_wizard(page, server)
    only_teams(page, org)
    # A negative prize in the 4th row: refused next to that prize, numbered as people count.
    page.click("#add-prize")
    fourth = page.locator("#prizes .prize-row").nth(3)
    fourth.locator('[data-f="prize"]').fill("-¥1000")
    page.fill("input[name=id]", org.contest)  # taken by another contest
    page.click("#launch")
    prize = fourth.locator(".field-error")
    expect(prize).to_have_text(WORDS[locale]["negative"])
    expect(page.locator("#prizes .field-error")).to_have_count(1)
    expect(page.locator("#wizard-errors")).to_have_text(WORDS[locale]["fourth"])  # counted from 1, said once

    # Typing elsewhere re-renders the live preview; the error stays until its own field changes.
    with page.expect_response("**/api/v1/contests/preview"):
        page.fill("input[name=name]", "Taken")
    expect(page.locator("#preview-en")).to_contain_text("1 point per")
    expect(prize).to_have_count(1)
    fourth.locator('[data-f="prize"]').fill("¥1,000 bonus")
    expect(prize).to_have_count(0)

    # The id is taken: said next to the id, with a link to the contest that has it.
    page.click("#launch")
    taken = field_error(page, "input[name=id]")
    expect(taken).to_contain_text(WORDS[locale]["taken"])
    expect(taken.locator("a")).to_have_attribute("href", f"/admin/contests/{org.contest}")
    screenshot(page, f"wizard-errors-{locale}.png")

    # The end before the start: one message next to the end, in the page's language; the id's stays too.
    with page.expect_response("**/api/v1/contests/preview"):
        page.fill("input[name=ends_at]", page.input_value("input[name=starts_at]"))
    page.click("#launch")
    ends = field_error(page, "input[name=ends_at]")
    expect(ends).to_have_text(WORDS[locale]["after"])
    expect(ends).to_have_count(1)  # the preview and the launch both found it: said once
    expect(taken).to_have_count(1)
    text = page.locator("main").inner_text()
    assert "ends_at" not in text and "prizes[" not in text and "PUT" not in text
    if locale == "zh-CN":
        assert not re.search(r"must|required|already in use", text)

    # Changing the field at fault takes its message away, and only its own.
    page.fill("input[name=id]", f"fresh-{uuid.uuid4().hex[:8]}")
    expect(taken).to_have_count(0)
    expect(ends).to_have_count(1)
    assert not script_errors(errors) and not foreign, (errors, foreign)
    context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_csv_over_the_limit_is_refused_before_upload_with_the_limit(
    browser: Browser, server: RunningServer, locale: str, tmp_path: Path
) -> None:
    big = tmp_path / "reps.csv"
    big.write_bytes(b"id,name,team\n" + b"x" * (9 << 20))  # over both limits: a reps import's 8 MB, targets' 1 MB
    context, page, errors, foreign = signed_in(browser, server, locale)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" and "/import" in r.url else None)
    with server.admin() as admin:
        make_org(admin, teams=1, reps_per_team=1)
    page.goto(f"{server.base_url}/admin/people")
    # Both ways in have a label, and each column's header stands over its inputs.
    expect(page.get_by_label(re.compile("CSV"))).to_have_attribute("type", "file")
    expect(page.locator("label:has(#import-text)")).not_to_be_empty()
    for table in ("#reps", ".card:has(h2) table >> nth=0"):
        heads = page.locator(f"{table} thead th").all()
        cells = page.locator(f"{table} tbody tr").first.locator("td").all()
        assert len(heads) == len(cells)
        for head, cell in zip(heads, cells, strict=True):
            assert abs(head.bounding_box()["x"] - cell.bounding_box()["x"]) < 1  # type: ignore[index]
    page.set_input_files("#import-file", str(big))
    refused = field_error(page, "#import-file")
    expect(refused).to_contain_text(WORDS[locale]["too_large"].format(mb=8))
    expect(refused).to_contain_text("reps.csv")
    assert page.eval_on_selector("#import-file", "input => input.files.length") == 0
    open_wizard(page, server)
    page.select_option("select[name=scoring]", "percent_of_target")
    page.set_input_files("#targets-file", str(big))
    expect(field_error(page, "#targets-file")).to_contain_text(WORDS[locale]["too_large"].format(mb=1))
    expect(page.locator("#targets-text")).to_have_value("")
    screenshot(page, f"wizard-too-large-{locale}.png")
    assert uploads == []
    assert not errors and not foreign, (errors, foreign)
    context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_improvement_scoring_in_leagues_is_measured_on_the_log_at_launch(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=4)
    context, page, errors, foreign = signed_in(browser, server, locale)
    open_wizard(page, server)
    page.click('#periods [data-period="this_month"]')
    page.fill("input[name=name]", f"Improvement {uuid.uuid4().hex[:6]}")
    contest_id = page.input_value("input[name=id]")
    only_teams(page, org)
    page.select_option("select[name=scoring]", "improvement")
    page.fill("input[name=improvement_floor]", "20")
    page.select_option("select[name=divisions_mode]", "leagues")
    page.fill("input[name=league_size]", "2")
    page.fill("input[name=league_promote]", "0")
    page.fill("input[name=league_relegate]", "1")
    expect(page.locator('dd[data-explains="improvement"]')).to_be_visible()
    expect(page.locator('dd[data-explains="leagues"]')).to_be_visible()
    expect(page.locator("#targets-box")).to_be_hidden()
    screenshot(page, f"wizard-improvement-{locale}.png")
    page.click("#launch")
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest_id}")
    with server.admin() as admin:
        stored = admin.get(f"/api/v1/contests/{contest_id}").json()
    assert stored["scoring"] == "percent_of_target" and stored["improvement"]["floor"] == 20
    assert set(stored["targets"]) == set(org.reps) and min(stored["targets"].values()) >= 20
    assert sorted(r for members in stored["divisions"].values() for r in members) == sorted(org.reps)
    assert stored["leagues"] == {"size": 2, "promote": 0, "relegate": 1}
    assert not errors and not foreign, (errors, foreign)
    context.close()
