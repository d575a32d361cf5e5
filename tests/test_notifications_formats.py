"""The pure parts of chat notifications: payloads and signatures per platform, words in both languages,
money, digest times, summaries, backoff and channel validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from game.errors import ValidationError
from server.notifications import digest, formats, messages
from server.notifications.channels import Channel, build_channel
from server.notifications.sender import backoff_seconds, next_batch
from server.notifications.transport import verdict

SECRET_KEY = "unit-test-secret-key"
SHANGHAI = ZoneInfo("Asia/Shanghai")

DEAL = {
    "id": "deal:c1:1:7",
    "kind": "deal",
    "data": {
        "contest": "c1",
        "contest_name": "十二月销冠赛",
        "rep": "wang",
        "rep_name": "王芳",
        "team_name": "华东战队",
        "amount": "1280000",
        "currency": "CNY",
        "customer": "上海仓储",
        "points": 1280,
        "rank": 1,
        "unit": "points",
    },
}


def channel(**body: object) -> Channel:
    document = {"type": "wecom", "name": "销售群", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    document.update(body)
    return build_channel(document, secret_key=SECRET_KEY, created_at="2026-11-22T00:00:00+00:00", known_contests={"c1"})


# --- words ---------------------------------------------------------------------------------------------


def test_a_deal_is_told_in_chinese_with_grouped_money() -> None:
    message = messages.render(DEAL, "zh-CN")
    assert message.title == "🎉 喜报：王芳 签单 ¥1,280,000"
    assert message.lines[0] == "**王芳**（华东战队）在「十二月销冠赛」签下「上海仓储」**¥1,280,000**，+1,280 分"
    assert message.lines[1] == "当前排名：第 1 名"
    assert message.footer == "销售竞技场"


def test_a_deal_is_told_in_english() -> None:
    message = messages.render({**DEAL, "data": {**DEAL["data"], "currency": "USD", "amount": "1234.5"}}, "en")
    assert message.title == "🎉 王芳 closed $1,234.50"
    assert message.lines[0] == "**王芳** (华东战队) won **$1,234.50** from 上海仓储 in “十二月销冠赛”, +1,280 points"
    assert message.lines[1] == "Now ranked #1"
    assert message.footer == "Sales Arena"


def test_percent_of_target_scores_read_as_percentages() -> None:
    lead = {
        "kind": "lead_change",
        "data": {"contest_name": "Q4", "rep_name": "Alice", "previous_name": "Bob", "score": 875, "unit": "percent"},
    }
    assert "87.5%" in messages.render(lead, "en").lines[0]


def test_a_summary_folds_many_celebrations_into_one_message() -> None:
    items = [{**DEAL, "id": f"deal:c1:1:{i}"} for i in range(20)]
    message = messages.summary(items, "zh-CN")
    assert message.title == "⚡ 最新战况：20 条喜报"
    assert len(message.lines) == messages.MAX_SUMMARY_LINES + 1
    assert message.lines[-1] == "……还有 5 条"


# --- platforms -----------------------------------------------------------------------------------------


def test_dingtalk_signs_the_url_with_timestamp_and_hmac() -> None:
    message = messages.render(DEAL, "zh-CN")
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    out = formats.outgoing("dingtalk", message, url, "SEC-secret", 1_795_000_000_123)
    query = parse_qs(urlsplit(out.url).query)
    assert query["access_token"] == ["abc"] and query["timestamp"] == ["1795000000123"]
    expected = base64.b64encode(hmac.new(b"SEC-secret", b"1795000000123\nSEC-secret", hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert unquote(out.url.split("sign=")[1]) == expected  # URL-encoded exactly once
    assert out.body["msgtype"] == "markdown"
    assert out.body["markdown"]["title"] == message.title
    assert "¥1,280,000" in out.body["markdown"]["text"] and "销售竞技场" in out.body["markdown"]["text"]


def test_feishu_signs_the_body_with_an_empty_message_keyed_by_timestamp_and_secret() -> None:
    out = formats.outgoing(
        "feishu", messages.render(DEAL, "zh-CN"), "https://open.feishu.cn/x", "s3cret", 1_795_000_000_999
    )
    assert out.body["timestamp"] == "1795000000"
    key = b"1795000000\ns3cret"
    assert out.body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert out.body["msg_type"] == "interactive"
    assert out.body["card"]["header"]["title"]["content"].startswith("🎉")
    assert out.url == "https://open.feishu.cn/x"


def test_unsigned_robots_carry_no_signature() -> None:
    message = messages.render(DEAL, "zh-CN")
    assert "sign" not in formats.outgoing("feishu", message, "https://f", None, 1).body
    assert formats.outgoing("dingtalk", message, "https://d?access_token=a", None, 1).url == "https://d?access_token=a"


def test_wecom_markdown_fits_its_4096_byte_limit() -> None:
    long = messages.Message("标题", tuple("很长的一行喜报内容" * 10 for _ in range(40)), footer="销售竞技场")
    body = formats.outgoing("wecom", long, "https://w", None, 1).body
    assert body["msgtype"] == "markdown"
    assert len(body["markdown"]["content"].encode()) <= 4096


def test_slack_gets_blocks_with_escaped_mrkdwn() -> None:
    data = {**DEAL["data"], "rep_name": "<!channel> Bob & Co"}
    body = formats.outgoing(
        "slack", messages.render({**DEAL, "data": data}, "en"), "https://hooks.slack.com/x", None, 1
    ).body
    assert body["blocks"][0]["type"] == "header"
    section = body["blocks"][1]["text"]
    assert section["type"] == "mrkdwn"
    assert "&lt;!channel&gt; Bob &amp; Co" in section["text"] and "<!channel>" not in section["text"]
    assert section["text"].startswith("*&lt;!channel&gt;")  # **bold** became Slack's *bold*


def test_teams_gets_an_adaptive_card_or_a_message_card() -> None:
    message = messages.render(DEAL, "en")
    card = formats.outgoing("teams", message, "https://t", None, 1).body
    assert card["type"] == "message"
    attachment = card["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard" and attachment["content"]["body"][0]["text"] == message.title
    legacy = formats.outgoing("teams", message, "https://t", None, 1, card="messagecard").body
    assert legacy["@type"] == "MessageCard" and legacy["title"] == message.title and legacy["summary"]


def test_names_cannot_open_tags_or_mentions_in_markdown_chats() -> None:
    data = {**DEAL["data"], "rep_name": '<font color="red">@all</font>'}
    content = formats.outgoing("wecom", messages.render({**DEAL, "data": data}, "zh-CN"), "https://w", None, 1).body
    assert '<font color="red">' not in content["markdown"]["content"]


# --- digests ------------------------------------------------------------------------------------------


def test_the_daily_slot_is_today_once_the_time_passed_else_yesterday() -> None:
    before = datetime(2026, 11, 20, 9, 59, tzinfo=UTC)  # 17:59 in Shanghai
    after = datetime(2026, 11, 20, 10, 1, tzinfo=UTC)  # 18:01
    assert digest.last_slot(before, SHANGHAI, "daily", "18:00") == datetime(2026, 11, 19, 18, 0, tzinfo=SHANGHAI)
    assert digest.last_slot(after, SHANGHAI, "daily", "18:00") == datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI)


def test_the_weekly_slot_is_the_last_such_weekday_and_time() -> None:
    friday_evening = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # Friday 18:30 in Shanghai
    sunday = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    thursday = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    assert digest.last_slot(friday_evening, SHANGHAI, "weekly", "fri 18:00").day == 20
    assert digest.last_slot(sunday, SHANGHAI, "weekly", "fri 18:00").day == 20
    assert digest.last_slot(thursday, SHANGHAI, "weekly", "fri 18:00").day == 13
    assert digest.period_label(datetime(2026, 11, 20, 18, tzinfo=SHANGHAI), "weekly") == "2026-11-14 – 2026-11-20"


def test_movers_are_the_biggest_gains_since_the_previous_digest() -> None:
    rows = [digest.Row("a", 1, 500), digest.Row("b", 2, 400), digest.Row("c", 3, 100)]
    moved = digest.movers(rows, {"a": [450, 1], "b": [100, 3], "c": [100, 2]})
    assert moved == [
        {"rep": "b", "gained": 300, "before": 3, "after": 2},
        {"rep": "a", "gained": 50, "before": 1, "after": 1},
    ]


def test_a_digest_reads_well_in_both_languages() -> None:
    data = {
        "kind": "daily",
        "period": "2026-11-20",
        "contests": [
            {
                "name": "十二月销冠赛",
                "unit": "points",
                "top": [{"rank": 1, "name": "王芳", "score": 1280}],
                "movers": [{"name": "李雷", "gained": 300, "before": 3, "after": 2}],
            }
        ],
        "champions": [],
        "badges": [{"name": "王芳", "badge_name": {"zh-CN": "帽子戏法", "en": "Hat Trick"}}],
    }
    zh = messages.render({"kind": "digest", "data": data}, "zh-CN")
    assert zh.title == "📊 今日战报 · 2026-11-20"
    assert "1. 王芳 — 1,280 分" in zh.lines and "李雷 +300 分（第 3 → 第 2 名）" in zh.lines
    assert "王芳：帽子戏法" in zh.lines
    en = messages.render({"kind": "digest", "data": data}, "en")
    assert en.title == "📊 Daily report · 2026-11-20" and "王芳: Hat Trick" in en.lines


# --- delivery decisions --------------------------------------------------------------------------------


def test_the_last_message_of_the_minute_folds_the_waiting_celebrations() -> None:
    waiting = [{"kind": "deal"}, {"kind": "digest"}, {"kind": "badge"}, {"kind": "lead_change"}]
    assert next_batch(waiting, room=5) == [0]
    assert next_batch(waiting, room=1) == [0, 2, 3]
    assert next_batch([{"kind": "digest"}, {"kind": "deal"}, {"kind": "deal"}], room=1) == [0]
    assert next_batch([{"kind": "deal"}], room=1) == [0]


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert backoff_seconds(1, 3, 1.0) == 3 and backoff_seconds(1, 3, 0.0) == 1.5
    assert backoff_seconds(3, 3, 1.0) == 27
    assert backoff_seconds(20, 3, 1.0) == 300


# --- channels -----------------------------------------------------------------------------------------


def test_a_channel_keeps_its_url_and_secret_sealed() -> None:
    made = channel(type="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=tok", secret="SECxyz")
    record = made.to_record()
    assert "tok" not in str(record) and "SECxyz" not in str(record)
    again = Channel.from_record(record)
    assert again.url(SECRET_KEY).endswith("access_token=tok") and again.secret(SECRET_KEY) == "SECxyz"
    public = again.public("oapi.dingtalk.com")
    assert public["has_secret"] is True and "tok" not in str(public)


def test_channel_validation_names_every_bad_field() -> None:
    with pytest.raises(ValidationError) as caught:
        channel(
            type="wecom",
            url="http://example.com/hook",
            secret="x",
            contests=["nope"],
            events=["deal", "gossip"],
            min_amount="-1",
            locale="fr",
            digest={"daily": "25:00"},
            rate_per_minute=50,
        )
    fields = {e.field for e in caught.value.errors}
    assert {
        "url",
        "secret",
        "contests[0]",
        "events",
        "min_amount",
        "locale",
        "digest.daily",
        "rate_per_minute",
    } <= fields


def test_a_channel_hears_only_what_it_asked_for() -> None:
    picky = channel(contests=["c1"], events=["deal"], min_amount="100000")
    assert picky.wants("deal", "c1", "100000") and not picky.wants("deal", "c1", "99999.99")
    assert not picky.wants("deal", "c2", "500000") and not picky.wants("badge")
    everything = channel()
    assert everything.wants("lead_change", "c9") and "digest" not in everything.events
    assert channel(digest={"weekly": "Friday 18:00"}).digest == {"weekly": "fri 18:00"}


def test_crowning_badges_are_left_to_the_contest_won_message() -> None:
    directory = SimpleNamespace(reps={})
    crowned = {"rep": "wang", "badge": "champion", "contest": "c1", "kind": "champion"}
    assert not channel().wants_badge(crowned, {}, directory)
    assert channel(events=["badge"]).wants_badge(crowned, {}, directory)
    assert not channel(contests=["c1"]).wants_badge({**crowned, "contest": "c2"}, {}, directory)


def test_a_chat_may_refuse_inside_a_200_and_may_ask_us_to_slow_down() -> None:
    def answer(status: int, body: str) -> httpx.Response:
        return httpx.Response(status, text=body)

    assert verdict("wecom", answer(200, '{"errcode": 0, "errmsg": "ok"}')).ok
    refused = verdict("dingtalk", answer(200, '{"errcode": 310000, "errmsg": "keywords not in content"}'))
    assert not refused.ok and "310000 keywords not in content" in refused.error and refused.retry_after is None
    throttled = verdict("dingtalk", answer(200, '{"errcode": 130101, "errmsg": "send too fast"}'))
    assert not throttled.ok and throttled.retry_after == 60
    assert not verdict(
        "feishu", answer(200, '{"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}')
    ).ok
    assert verdict("feishu", answer(200, '{"StatusCode": 0, "StatusMessage": "success"}')).ok
    assert verdict("slack", answer(200, "ok")).ok and not verdict("slack", answer(404, "no_service")).ok
    assert verdict("teams", answer(202, "")).ok
    assert not verdict("teams", answer(200, "Microsoft Teams endpoint returned HTTP error 413")).ok
    assert not verdict("wecom", answer(200, "<html>proxy error</html>")).ok
