"""A new administrator connects a CRM and a team chat from the console, in a real Chromium, in Chinese and in
English, without any API call of their own: a generic webhook connector shows its address and secret once; a
signed deal from a CRM user nobody knows waits as an unmatched user and counts once matched to a rep in one
click; a WeCom channel pointing at a loopback chat receives a test, a message it refused is set aside and sent
again, and the channel is paused. Every refusal is shown next to its field in the page's language."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, signed_in
from tests.support.fake_chat import running_fake_chat
from tests.support.integrations import send_signed
from tests.support.org import deal, make_org, scores
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: the connectors and channels listed are only the ones made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


WORDS = {
    "zh-CN": {
        "connectors": "CRM 连接器",
        "channels": "群通知",
        "secret_short": "签名密钥须为 16 到 512 个字符。",
        "test_ok": "测试：签名与内容均有效",
        "needed": "该 CRM 需要这一项（最多 512 个字符）。",
        "choose_rep": "请选择一位尚未对应到该 CRM 其他用户的销售。",
        "held": "等待中：CRM 用户未对应",
        "counted": "1 笔等待中的订单已计入",
        "all_matched": "推送过订单的 CRM 用户都已对应到销售。",
        "bad_url": "请粘贴机器人的 Webhook 地址",
        "test_sent": "测试消息已送达",
        "requeued": "消息已重新排队",
        "paused": "已暂停",
        "pause": "暂停",
        "resume": "继续",
        "failure": "最近一次投递失败",
        "nothing_saved": "未保存：请检查标出的项目。",
        "already_matched": "这位销售已对应到该 CRM 的另一个用户。",
        "too_many": "一分钟内尝试次数过多，请一分钟后再试。",
    },
    "en": {
        "connectors": "CRM connectors",
        "channels": "Chat channels",
        "secret_short": "The signing secret must be 16 to 512 characters.",
        "test_ok": "Test: signature and content accepted",
        "needed": "This setting is needed for this CRM (at most 512 characters).",
        "choose_rep": "Choose a rep who is not yet matched to another user of this CRM.",
        "held": "Waiting: CRM user not matched",
        "counted": "1 waiting deal(s) counted",
        "all_matched": "Every CRM user who sent a deal is matched to a rep.",
        "bad_url": "Paste the robot's webhook address",
        "test_sent": "Test message delivered to",
        "requeued": "The message is queued again",
        "paused": "Paused",
        "pause": "Pause",
        "resume": "Resume",
        "failure": "Last failure",
        "nothing_saved": "Nothing was saved: check the fields marked.",
        "already_matched": "This rep is already matched to another user of this CRM.",
        "too_many": "Too many attempts in the last minute: try again in a minute.",
    },
}
REFUSED = "Failed to load resource: the server responded with a status of 422"
# What the API itself says (field paths, its English sentences), which the pages must never show as is.
DEVELOPER_ENGLISH = re.compile(
    r"config\.|is required for|must be at least|must be one of|\[\d+\]|unknown field|invalid (connector|notification)"
)


def no_developer_english(page: Page, selector: str) -> None:
    text = page.locator(selector).inner_text()
    assert not DEVELOPER_ENGLISH.search(text), text


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_admin_connects_a_crm_and_a_team_chat_from_the_console(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
    _, page, errors, foreign = signed_in(browser, server, locale)
    expect(page).to_have_url(f"{server.base_url}/admin")

    # A generic webhook connector: a too-short secret is refused next to its field, then the address and the
    # secret are shown once.
    page.get_by_role("link", name=words["connectors"]).click()
    expect(page).to_have_url(f"{server.base_url}/admin/connectors")
    form = page.locator("#new-connector")
    name = f"CRM {uuid.uuid4().hex[:6]}"
    form.locator("input[name=name]").fill(name)
    secret_input = form.locator('fieldset[data-for="generic"] input[name="config.secret"]')
    expect(secret_input).to_have_value(re.compile(r"^[0-9a-f]{48}$"))
    generated = secret_input.input_value()
    secret_input.fill("short")
    form.locator("button.primary").click()
    expect(form.locator(".field-error")).to_have_text(words["secret_short"])
    expect(secret_input).to_have_attribute("aria-invalid", "true")
    expect(secret_input).to_be_focused()
    expect(form.locator(".form-errors")).to_have_text(words["nothing_saved"])
    assert page.evaluate("(el) => getComputedStyle(el).color", form.locator(".field-error").element_handle()) == (
        "rgb(179, 38, 30)"
    )
    no_developer_english(page, "#new-connector")
    screenshot(page, f"connectors-refused-{locale}.png")

    # HubSpot asks for its own settings: both missing ones are marked, each with its own sentence.
    form.locator("select[name=type]").select_option("hubspot")
    expect(secret_input).to_be_hidden()
    form.locator("button.primary").click()
    hubspot = form.locator('fieldset[data-for="hubspot"]')
    expect(hubspot.locator(".field-error")).to_have_count(2)
    expect(hubspot.locator('input[name="config.client_secret"]')).to_have_attribute("aria-invalid", "true")
    expect(hubspot.locator('input[name="config.access_token"]')).to_have_attribute("aria-invalid", "true")
    expect(hubspot.locator(".field-error").first).to_have_text(words["needed"])
    no_developer_english(page, "#new-connector")
    form.locator("select[name=type]").select_option("generic")
    secret_input.fill(generated)
    form.locator("button.primary").click()
    box = page.locator("#connector-secret")
    expect(box).to_be_visible()
    expect(page.locator("#new-secret")).to_have_text(generated)
    hook_url = page.locator("#new-url").inner_text()
    assert hook_url.startswith(f"{server.base_url}/hooks/generic/generic-")
    connector = hook_url.rsplit("/", 1)[1]
    card = page.locator(f'section[data-connector="{connector}"]')
    expect(card.locator(".c-name")).to_have_text(name)
    screenshot(page, f"connectors-created-{locale}.png")
    page.locator("#secret-done").click()
    expect(box).to_be_hidden()
    page.reload()
    expect(card.locator(".c-url")).to_have_text(hook_url)
    assert generated not in page.content()

    # A signed test delivery through the webhook keeps nothing.
    card.locator(".c-test").click()
    expect(card.locator(".c-test-result")).to_contain_text(words["test_ok"])

    # The CRM sends a won deal of a user nobody knows: it waits as an unmatched CRM user.
    crm_user = f"crm-{uuid.uuid4().hex[:6]}"
    assert send_signed(hook_url, generated, deal(crm_user, 5000)).json()["held"] == 1
    row = card.locator(f'tr[data-crm-user="{crm_user}"]')
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator("td.num")).to_have_text("1")
    expect(card.locator(".c-deliveries tbody tr").first).to_contain_text(words["held"])
    row.locator("button.primary").click()
    expect(row.locator(".field-error")).to_have_text(words["choose_rep"])
    expect(row.locator("select")).to_have_attribute("aria-invalid", "true")
    # Refusals that name no field: this request's own words, else the workspace's words for the status.
    said = "([r, action]) => FieldErrors.refusal(r, {page: 'connectors', action: action})"
    assert page.evaluate(said, [{"status": 409, "data": {"error": "conflict"}}, "map"]) == words["already_matched"]
    assert page.evaluate(said, [{"status": 429, "data": {"error": "slow down"}}, "test"]) == words["too_many"]
    screenshot(page, f"connectors-unmatched-{locale}.png")

    # Matched to a rep in one click: the waiting deal counts.
    row.locator("select").select_option(org.reps[0])
    row.locator("button.primary").click()
    expect(card.locator(".c-map-result")).to_contain_text(words["counted"])
    expect(card.locator(".c-unmapped-none")).to_have_text(words["all_matched"])
    expect(card.locator(".c-unmapped-none")).to_be_visible()  # the matched user's row is gone
    expect(row).to_have_count(0)
    with server.admin() as admin:
        eventually(lambda: scores(admin, org.contest).get(org.reps[0]) == 5, what="the matched deal to count")
    screenshot(page, f"connectors-matched-{locale}.png")

    # A connector made by mistake is deleted after a confirmation.
    spare = f"spare {uuid.uuid4().hex[:6]}"
    form.locator("input[name=name]").fill(spare)
    form.locator("button.primary").click()
    spare_card = page.locator("section.connector", has_text=spare)
    expect(spare_card).to_have_count(1)
    page.locator("#secret-done").click()
    page.once("dialog", lambda dialog: dialog.accept())
    spare_card.locator(".c-delete").click()
    expect(spare_card).to_have_count(0)
    expect(card).to_be_visible()

    with running_fake_chat() as chat:
        # A WeCom channel: a bad address is refused next to its field, then the channel receives a test.
        page.get_by_role("link", name=words["channels"]).click()
        expect(page).to_have_url(f"{server.base_url}/admin/channels")
        form = page.locator("#new-channel")
        channel_name = f"华东群 {uuid.uuid4().hex[:6]}"
        path = f"/wecom/{uuid.uuid4().hex[:8]}"
        form.locator("select[name=type]").select_option("wecom")
        form.locator("input[name=name]").fill(channel_name)
        form.locator("input[name=url]").fill("ftp://chat.example/hook")
        form.locator("input[name=max_attempts]").fill("1")
        form.locator("button.primary").click()
        expect(form.locator(".field-error")).to_contain_text(words["bad_url"])
        no_developer_english(page, "#new-channel")
        form.locator("input[name=url]").fill(chat.url + path)
        form.locator("button.primary").click()
        channel = page.locator("#channels tbody tr", has_text=channel_name)
        expect(channel).to_be_visible()
        channel.locator(".ch-actions button").first.click()
        expect(page.locator("#channel-result")).to_contain_text(words["test_sent"])
        eventually(lambda: len(chat.at(path)) >= 1, what="the chat to receive the test")
        screenshot(page, f"channels-{locale}.png")

        # The chat refuses the next deal's message: it is set aside, shown, and sent again once the chat is back.
        chat.break_path(path)
        assert send_signed(hook_url, generated, deal(crm_user, 7777)).json()["accepted"] == 1
        letter = page.locator("#dead-letters tbody tr", has_text=channel_name)
        expect(letter.first).to_be_visible(timeout=30_000)
        expect(channel.locator(".ch-failure")).to_contain_text(words["failure"], timeout=15_000)
        screenshot(page, f"channels-dead-letter-{locale}.png")
        chat.repair(path)
        while letter.count():
            letter_id = letter.first.get_attribute("data-letter")
            letter.first.locator("button.primary").click()
            expect(page.locator("#dead-letter-result")).to_contain_text(words["requeued"])
            expect(page.locator(f'#dead-letters tr[data-letter="{letter_id}"]')).to_have_count(0)
        eventually(
            lambda: any("7,777" in r.text or "7777" in r.text for r in chat.at(path)),
            timeout=30,
            what="the deal's message once sent again",
        )

        # Paused: the status says so and the button offers to resume.
        pause = channel.locator(".ch-actions button").nth(1)
        expect(pause).to_have_text(words["pause"])
        pause.click()
        expect(channel.locator(".ch-status")).to_have_text(words["paused"])
        expect(channel.locator(".ch-actions button").nth(1)).to_have_text(words["resume"])
        screenshot(page, f"channels-paused-{locale}.png")

    # On a tablet both pages fit the screen's width: nothing to scroll sideways.
    page.set_viewport_size({"width": 820, "height": 1180})
    for path, shot in (("/admin/channels", "channels-tablet"), ("/admin/connectors", "connectors-tablet")):
        page.goto(server.base_url + path)
        expect(page.locator("table:visible").first).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), path
        screenshot(page, f"{shot}-{locale}.png")
    # The three refusals the walk provokes are the only requests that failed; nothing else was logged.
    refused = [e for e in errors if e.startswith(REFUSED)]
    assert len(refused) == 3 and [e for e in errors if e not in refused] == [] and foreign == []
