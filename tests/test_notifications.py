"""Chat notifications end to end: two real server processes on one Redis, a real chat receiver on loopback.

Each test makes its own organisation and channels bound to its own contest, so tests do not hear each
other's deals. Both processes run the notifier (every second here); only the lease holder acts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.embedded_redis import EmbeddedRedis
from tests.support.fake_chat import FakeChat, Received, running_fake_chat
from tests.support.metrics import value
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer, server_pair
from tests.support.waiting import eventually

# The chat fake listens on loopback: the operator's switch for chat servers on its own network.
FAST = {"ARENA_NOTIFY_SECONDS": "1", "ARENA_SCHEDULER_SECONDS": "1", "ARENA_OUTBOUND_ALLOW_PRIVATE": "1"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two server processes sharing one Redis of their own, both running the notifier."""
    with EmbeddedRedis() as redis, server_pair(redis.url, Path(tmp_path_factory.mktemp("notify")), **FAST) as pair:
        yield pair


@pytest.fixture(scope="module")
def chat() -> Iterator[FakeChat]:
    with running_fake_chat() as fake:
        yield fake


@pytest.fixture
def a(pair: tuple[RunningServer, RunningServer]) -> RunningServer:
    return pair[0]


@pytest.fixture
def b(pair: tuple[RunningServer, RunningServer]) -> RunningServer:
    return pair[1]


def now_iso(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def add_channel(admin: httpx.Client, **body: Any) -> str:
    response = admin.post("/api/v1/notifications/channels", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def post(server: RunningServer, events: list[dict[str, Any]]) -> None:
    with server.ingest() as ingest:
        response = ingest.post("/api/v1/events", json=events)
        assert response.status_code == 200 and response.json()["accepted"] == len(events), response.text


MARKERS = itertools.count(1001)  # amounts of the deals that mark "later" (¥1,001, ¥1,002, ...)


def a_later_deal_arrives(server: RunningServer, chat: FakeChat, rep: str, paths: list[str]) -> str:
    """Post one more deal and wait until its message reaches every path; return how it reads (``¥1,001``).

    To show that nothing more arrives from before: each outbox is sent oldest first, and the new deal is
    collected after everything posted earlier, so whatever else was on its way is already in by then.
    """
    amount = next(MARKERS)
    post(server, [deal(rep, amount, occurred_at=now_iso())])
    money = f"¥{amount:,}"
    eventually(lambda: all(any(money in m.text for m in chat.at(p)) for p in paths), what=f"{money} at {paths}")
    return money


@dataclass
class Metronome:
    """A contest and channel of their own whose deals show that the notifier has finished another tick."""

    rep: str
    path: str


@pytest.fixture(scope="module")
def metronome(pair: tuple[RunningServer, RunningServer], chat: FakeChat) -> Metronome:
    name = unique("metronome")
    with pair[0].admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        add_channel(
            admin, type="wecom", name="节拍", url=chat.hook("wecom", name), contests=[org.contest], events=["deal"]
        )
    return Metronome(org.reps[0], f"/wecom/{name}")


def a_later_tick_finishes(server: RunningServer, chat: FakeChat, metronome: Metronome) -> None:
    """Wait until a notifier tick that began after this moment has collected and delivered, for channels that
    take no deals: a tick reads every contest before it queues and sends, so whatever happened before now is
    queued by then, and whatever a channel has not sent yet is still waiting in its outbox."""
    a_later_deal_arrives(server, chat, metronome.rep, [metronome.path])


def waiting(admin: httpx.Client, channel_id: str) -> int:
    """Notifications still in a channel's outbox (one leaves it only once the chat accepted it)."""
    return admin.get(f"/api/v1/notifications/channels/{channel_id}").json()["delivery"]["waiting"]


def test_each_platform_gets_its_payload_and_a_valid_signature(a: RunningServer, chat: FakeChat) -> None:
    with a.admin() as admin:
        org = make_org(admin)
        name = unique("p")
        common = {"contests": [org.contest], "events": ["deal"]}
        add_channel(admin, type="wecom", name="企业微信群", url=chat.hook("wecom", name), **common)
        add_channel(
            admin,
            type="dingtalk",
            name="钉钉群",
            url=chat.hook("dingtalk", name) + "?access_token=tok",
            secret="SEC-ding",
            **common,
        )
        add_channel(
            admin, type="feishu", name="Lark", url=chat.hook("feishu", name), secret="fei", locale="en", **common
        )
        add_channel(admin, type="slack", name="#wins", url=chat.hook("slack", name), locale="en", **common)
        add_channel(admin, type="teams", name="Sales", url=chat.hook("teams", name), locale="en", **common)
    post(a, [deal(org.reps[0], "1280000", occurred_at=now_iso(), customer="上海仓储")])
    paths = [f"/{platform}/{name}" for platform in ("wecom", "dingtalk", "feishu", "slack", "teams")]
    eventually(lambda: all(chat.at(path) for path in paths), what="a message on every platform")

    wecom = chat.at(f"/wecom/{name}")[0].body
    assert wecom["msgtype"] == "markdown"
    assert "销售 0-0" in wecom["markdown"]["content"] and "¥1,280,000" in wecom["markdown"]["content"]
    assert "上海仓储" in wecom["markdown"]["content"] and "+1,280 分" in wecom["markdown"]["content"]

    ding = chat.at(f"/dingtalk/{name}")[0]
    stamp = ding.query["timestamp"]
    assert ding.query["access_token"] == "tok"
    assert abs(int(stamp) - time.time() * 1000) < 3_600_000  # DingTalk refuses signatures older than an hour
    expected = base64.b64encode(hmac.new(b"SEC-ding", f"{stamp}\nSEC-ding".encode(), hashlib.sha256).digest())
    assert ding.query["sign"] == expected.decode()
    assert ding.body["msgtype"] == "markdown" and "¥1,280,000" in ding.body["markdown"]["title"]

    feishu = chat.at(f"/feishu/{name}")[0].body
    key = f"{feishu['timestamp']}\nfei".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert abs(int(feishu["timestamp"]) - time.time()) < 3600
    assert feishu["msg_type"] == "interactive"
    assert feishu["card"]["header"]["title"]["content"] == "🎉 销售 0-0 closed ¥1,280,000"

    slack = chat.at(f"/slack/{name}")[0].body
    assert slack["text"] == "🎉 销售 0-0 closed ¥1,280,000" and slack["blocks"][1]["text"]["type"] == "mrkdwn"

    teams = chat.at(f"/teams/{name}")[0].body
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert teams["attachments"][0]["content"]["body"][0]["text"] == "🎉 销售 0-0 closed ¥1,280,000"

    later = a_later_deal_arrives(a, chat, org.reps[0], paths)
    assert [len(chat.at(path)) for path in paths] == [2] * 5  # one process sent each, once
    assert all(later in chat.at(path)[1].text for path in paths)


def test_channels_are_listed_without_secrets_tested_and_deleted(a: RunningServer, chat: FakeChat) -> None:
    name = unique("list")
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        channel_id = add_channel(
            admin,
            type="dingtalk",
            name="销冠播报",
            url=chat.hook("dingtalk", name) + "?access_token=VERY-SECRET-TOKEN",
            secret="SEC-very-secret",
            contests=[org.contest],
            min_amount="100000",
            digest={"weekly": "fri 18:00"},
        )
        listed = admin.get("/api/v1/notifications/channels")
        assert listed.status_code == 200
        assert "VERY-SECRET-TOKEN" not in listed.text and "SEC-very-secret" not in listed.text
        mine = next(c for c in listed.json()["channels"] if c["id"] == channel_id)
        assert mine["host"] == "127.0.0.1" and mine["has_secret"] is True and mine["rate_per_minute"] == 20
        assert mine["events"] == ["deal", "badge", "lead_change", "contest_won", "digest"]
        assert mine["min_amount"] == "100000" and mine["digest"] == {"weekly": "fri 18:00"}
        assert mine["delivery"]["waiting"] == 0

        tested = admin.post(f"/api/v1/notifications/channels/{channel_id}/test")
        assert tested.status_code == 200 and tested.json()["ok"] is True
        (message,) = chat.at(f"/dingtalk/{name}")
        assert "测试消息" in message.body["markdown"]["title"] and message.query["sign"]

        chat.fail(f"/dingtalk/{name}", status=200, body='{"errcode": 310000, "errmsg": "sign not match"}')
        refused = admin.post(f"/api/v1/notifications/channels/{channel_id}/test")
        assert refused.status_code == 502 and "310000" in refused.json()["error"]

        invalid = admin.post("/api/v1/notifications/channels", json={"type": "icq", "url": "ftp://x", "events": []})
        assert invalid.status_code == 422
        assert {"type", "name", "url", "events"} <= {e["field"] for e in invalid.json()["errors"]}

        assert admin.delete(f"/api/v1/notifications/channels/{channel_id}").status_code == 204
        assert admin.get(f"/api/v1/notifications/channels/{channel_id}").status_code == 404
    assert "VERY-SECRET-TOKEN" not in a.log_path.read_text()  # webhook URLs are credentials: not logged
    with a.ingest() as ingest:
        assert ingest.get("/api/v1/notifications/channels").status_code == 403
    assert httpx.get(a.base_url + "/api/v1/notifications/channels").status_code == 401


def test_a_new_leader_is_announced(a: RunningServer, chat: FakeChat) -> None:
    name = unique("lead")
    with a.admin() as admin:
        org = make_org(admin)
        add_channel(
            admin,
            type="wecom",
            name="群",
            url=chat.hook("wecom", name),
            contests=[org.contest],
            events=["deal", "lead_change"],
        )
    post(a, [deal(org.reps[0], "100000", occurred_at=now_iso())])
    eventually(lambda: chat.at(f"/wecom/{name}"))
    post(a, [deal(org.reps[1], "300000", occurred_at=now_iso())])
    leads = eventually(lambda: [m for m in chat.at(f"/wecom/{name}") if "榜首易主" in m.text])
    content = leads[0].body["markdown"]["content"]
    assert "**销售 0-1** 超越 销售 0-0" in content and "300 分" in content
    a_later_deal_arrives(a, chat, org.reps[1], [f"/wecom/{name}"])  # the leader adds a point: no lead change
    assert len([m for m in chat.at(f"/wecom/{name}") if "榜首易主" in m.text]) == 1
    assert len(chat.at(f"/wecom/{name}")) == 4  # two deals, the lead change, and the later deal


def test_a_burst_stays_within_dingtalks_20_a_minute_folded_into_a_summary(
    a: RunningServer, chat: FakeChat, metronome: Metronome
) -> None:
    name = unique("burst")
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=5)
        channel_id = add_channel(
            admin,
            type="dingtalk",
            name="钉钉",
            url=chat.hook("dingtalk", name),
            contests=[org.contest],
            events=["deal"],
        )
    amounts = [10_001 + i for i in range(25)]
    post(a, [deal(org.reps[i % 5], amount, occurred_at=now_iso()) for i, amount in enumerate(amounts)])
    wanted = [f"¥{amount:,}" for amount in amounts]

    def covered() -> list[Received]:
        messages = chat.at(f"/dingtalk/{name}")
        text = " ".join(m.text for m in messages)
        return messages if all(w in text for w in wanted) else []

    eventually(covered, what="every deal of the burst told")
    # The minute is used up, so a later deal would wait for the next one: another channel keeps time instead.
    a_later_tick_finishes(a, chat, metronome)
    with a.admin() as admin:
        assert waiting(admin, channel_id) == 0  # nothing left to send
    messages = chat.at(f"/dingtalk/{name}")
    assert len(messages) <= 20
    assert messages[-1].at - messages[0].at < 60
    assert "最新战况" in messages[-1].body["markdown"]["title"]  # the last slot of the minute: a summary
    assert [sum(w in m.text for m in messages) for w in wanted] == [1] * 25  # each deal told once, none lost


def test_a_failing_chat_is_retried_and_gets_the_message_once(a: RunningServer, chat: FakeChat) -> None:
    name = unique("retry")
    path = f"/slack/{name}"
    chat.fail(path, status=500, times=3)
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        add_channel(
            admin, type="slack", name="#wins", url=chat.hook("slack", name), contests=[org.contest], events=["deal"]
        )
    post(a, [deal(org.reps[0], "88000", occurred_at=now_iso())])
    assert eventually(lambda: chat.at(path), timeout=30)  # three failures back off for up to 13 s
    later = a_later_deal_arrives(a, chat, org.reps[0], [path])
    assert len(chat.at(path)) == 2 and later in chat.at(path)[1].text
    assert chat.attempts(path) == 5  # three failures, the deal once, the later deal once


def notifications_counted(*servers: RunningServer) -> dict[str, float]:
    """``arena_notifications_total`` by outcome, summed over the processes (each counts what it delivered)."""
    return {
        outcome: sum(value(server, "arena_notifications_total", outcome=outcome) for server in servers)
        for outcome in ("delivered", "failed", "dead_lettered")
    }


def test_repeated_failures_become_dead_letters_that_can_be_retried(
    a: RunningServer, b: RunningServer, chat: FakeChat
) -> None:
    name = unique("dead")
    path = f"/teams/{name}"
    chat.break_path(path, status=500)
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        channel_id = add_channel(
            admin,
            type="teams",
            name="Sales",
            url=chat.hook("teams", name),
            contests=[org.contest],
            events=["deal"],
            max_attempts=2,
        )
        refusing = add_channel(
            admin,
            type="dingtalk",
            name="关键词",
            url=chat.hook("dingtalk", name),
            contests=[org.contest],
            events=["deal"],
            max_attempts=1,
        )
        chat.break_path(
            f"/dingtalk/{name}", status=200, body='{"errcode": 310000, "errmsg": "keywords not in content"}'
        )
        counted = notifications_counted(a, b)
        post(a, [deal(org.reps[0], "64000", occurred_at=now_iso())])

        def letters(channel: str) -> list[dict[str, Any]]:
            response = admin.get("/api/v1/notifications/dead-letters", params={"channel": channel})
            assert response.status_code == 200
            return response.json()["dead_letters"]

        (letter,) = eventually(lambda: letters(channel_id), timeout=30)
        assert letter["kind"] == "deal" and "500" in letter["error"] and letter["attempts"] == 2
        assert "¥64,000" in letter["summary"] and letter["channel_name"] == "Sales"
        (refused,) = eventually(lambda: letters(refusing))
        assert "310000" in refused["error"]
        moved = {outcome: n - counted[outcome] for outcome, n in notifications_counted(a, b).items()}
        assert (moved["failed"], moved["dead_lettered"]) == (3, 2)  # 2 + 1 attempts, both parked
        state = admin.get(f"/api/v1/notifications/channels/{channel_id}").json()["delivery"]
        assert state["waiting"] == 0 and "500" in state["last_error"]
        assert chat.at(path) == []

        chat.repair(path)
        retried = admin.post(f"/api/v1/notifications/dead-letters/{letter['id']}/retry")
        assert retried.status_code == 202
        (message,) = eventually(lambda: chat.at(path))
        assert "¥64,000" in message.text
        delivered_before = counted["delivered"] + moved["delivered"]  # counted once the outbox has let it go
        eventually(lambda: notifications_counted(a, b)["delivered"] > delivered_before, what="the delivery counted")
        assert letters(channel_id) == []
        assert admin.delete(f"/api/v1/notifications/dead-letters/{refused['id']}").status_code == 204
        assert letters(refusing) == []
        assert admin.post("/api/v1/notifications/dead-letters/nope/retry").status_code == 404


def test_two_processes_deliver_each_deal_exactly_once(a: RunningServer, b: RunningServer, chat: FakeChat) -> None:
    name = unique("twice")
    with b.admin() as admin:
        org = make_org(admin)
        add_channel(
            admin, type="wecom", name="群", url=chat.hook("wecom", name), contests=[org.contest], events=["deal"]
        )
    amounts = [20_001 + i for i in range(10)]
    for i, amount in enumerate(amounts):
        post((a, b)[i % 2], [deal(org.reps[i % 6], amount, occurred_at=now_iso())])
    assert eventually(lambda: len(chat.at(f"/wecom/{name}")) >= 10)
    later = a_later_deal_arrives(a, chat, org.reps[0], [f"/wecom/{name}"])
    messages = chat.at(f"/wecom/{name}")
    assert len(messages) == 11 and later in messages[-1].text
    assert [sum(f"¥{amount:,}" in m.text for m in messages) for amount in amounts] == [1] * 10


def test_the_other_process_takes_over_when_one_stops(a: RunningServer, b: RunningServer, chat: FakeChat) -> None:
    name = unique("failover")
    path = f"/wecom/{name}"
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        add_channel(
            admin, type="wecom", name="群", url=chat.hook("wecom", name), contests=[org.contest], events=["deal"]
        )
    try:
        a.stop()  # whichever held the lease, the survivor delivers
        post(b, [deal(org.reps[0], "31000", occurred_at=now_iso())])
        assert eventually(lambda: len(chat.at(path)) == 1)
        a.start()
        b.stop()
        post(a, [deal(org.reps[1], "32000", occurred_at=now_iso())])
        assert eventually(lambda: len(chat.at(path)) == 2)
    finally:
        for server in (a, b):
            if server.process is None:
                server.start()
    later = a_later_deal_arrives(a, chat, org.reps[0], [path])
    told = [("¥31,000" in m.text, "¥32,000" in m.text, later in m.text) for m in chat.at(path)]
    assert told == [(True, False, False), (False, True, False), (False, False, True)]


def test_badges_reach_the_chat(a: RunningServer, chat: FakeChat) -> None:
    name = unique("badge")
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        add_channel(
            admin, type="feishu", name="飞书", url=chat.hook("feishu", name), contests=[org.contest], events=["badge"]
        )
    post(a, [deal(org.reps[0], "50000", occurred_at=now_iso())])
    first = eventually(lambda: [m for m in chat.at(f"/feishu/{name}") if "首单" in m.text])
    assert first[0].body["card"]["header"]["title"]["content"] == "🏅 销售 0-0 获得徽章「首单」"
    assert all("喜报" not in m.text for m in chat.at(f"/feishu/{name}"))  # deals were not asked for


def test_the_champion_is_announced_when_a_contest_closes(
    a: RunningServer, chat: FakeChat, metronome: Metronome
) -> None:
    name = unique("won")
    with a.admin() as admin:
        org = make_org(
            admin, starts_at=now_iso(-timedelta(days=1)), ends_at=now_iso(timedelta(seconds=4)), grace_hours=0
        )
        channel_id = add_channel(
            admin,
            type="slack",
            name="#wins",
            url=chat.hook("slack", name),
            contests=[org.contest],
            events=["contest_won"],
            locale="en",
        )
    post(a, [deal(org.reps[4], "90000", occurred_at=now_iso(-timedelta(hours=1))),
             deal(org.reps[0], "60000", occurred_at=now_iso(-timedelta(hours=2)))])  # fmt: skip
    (message,) = eventually(lambda: chat.at(f"/slack/{name}"), timeout=30)
    assert message.body["text"] == "🏆 “十二月销冠赛” is over: 销售 1-1 is the champion"
    section = message.body["blocks"][1]["text"]["text"]
    assert "Champion: *销售 1-1* (90 points)" in section and "Best team: *战队 1*" in section
    a_later_tick_finishes(a, chat, metronome)  # the contest is closed: no later deal can reach this channel
    with a.admin() as admin:
        assert waiting(admin, channel_id) == 0
    assert len(chat.at(f"/slack/{name}")) == 1


def test_a_correction_of_closed_results_is_told_once_and_crowns_nobody_again(
    a: RunningServer, chat: FakeChat, metronome: Metronome
) -> None:
    name = unique("fix")
    with a.admin() as admin:
        org = make_org(
            admin, starts_at=now_iso(-timedelta(days=1)), ends_at=now_iso(timedelta(seconds=3)), grace_hours=0
        )
        add_channel(
            admin,
            type="slack",
            name="#wins",
            url=chat.hook("slack", name),
            contests=[org.contest],
            events=["contest_won"],
            locale="en",
        )
        post(a, [deal(org.reps[4], "90000", occurred_at=now_iso(-timedelta(hours=1)), category="low"),
                 deal(org.reps[0], "60000", occurred_at=now_iso(-timedelta(hours=2)), category="high")])  # fmt: skip
        eventually(lambda: chat.at(f"/slack/{name}"), timeout=30)
        changed = {**org.definition, "multipliers": {"category": {"high": 2}}, "change_reason": "margin rules"}
        assert admin.put(f"/api/v1/contests/{org.contest}", json=changed).status_code == 202
        won, fixed = eventually(lambda: len(chat.at(f"/slack/{name}")) == 2 and chat.at(f"/slack/{name}"), timeout=30)
    assert "is over" in won.body["text"]
    assert fixed.body["text"] == "📝 “十二月销冠赛”: results corrected"
    section = fixed.body["blocks"][1]["text"]["text"]
    assert "Why: margin rules" in section and "Champion now: *销售 0-0* (was 销售 1-1)" in section
    a_later_tick_finishes(a, chat, metronome)
    assert len(chat.at(f"/slack/{name}")) == 2  # told once


def test_a_channel_can_be_changed_without_giving_its_webhook_again(a: RunningServer, chat: FakeChat) -> None:
    name = unique("edit")
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        channel_id = add_channel(
            admin,
            type="dingtalk",
            name="大单播报",
            url=chat.hook("dingtalk", name) + "?access_token=tok",
            secret="SEC-edit",
            contests=[org.contest],
            events=["deal"],
            min_amount="100000",
        )
        post(a, [deal(org.reps[0], "50000", occurred_at=now_iso())])
        post(a, [deal(org.reps[0], "150000", occurred_at=now_iso())])
        (big,) = eventually(lambda: chat.at(f"/dingtalk/{name}"))
        assert "¥150,000" in big.text  # the ¥50,000 before it was below the channel's threshold
        changed = admin.put(
            f"/api/v1/notifications/channels/{channel_id}",
            json={"name": "成交播报", "contests": [org.contest], "events": ["deal"], "min_amount": "10000"},
        )
        assert changed.status_code == 200, changed.text
        shown = changed.json()
        assert shown["id"] == channel_id and shown["name"] == "成交播报" and shown["min_amount"] == "10000"
        assert shown["host"] == "127.0.0.1" and shown["has_secret"] is True  # webhook and secret kept
        post(a, [deal(org.reps[0], "60000", occurred_at=now_iso())])
        (message,) = eventually(lambda: chat.at(f"/dingtalk/{name}")[1:])
        assert "¥60,000" in message.text
        stamp = message.query["timestamp"]
        expected = base64.b64encode(hmac.new(b"SEC-edit", f"{stamp}\nSEC-edit".encode(), hashlib.sha256).digest())
        assert message.query["sign"] == expected.decode() and message.query["access_token"] == "tok"

        other_type = admin.put(f"/api/v1/notifications/channels/{channel_id}", json={"type": "slack", "name": "x"})
        assert other_type.status_code == 422 and other_type.json()["errors"][0]["field"] == "type"
        bad = admin.put(f"/api/v1/notifications/channels/{channel_id}", json={"name": "x", "events": ["dance"]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "events"
        assert admin.get(f"/api/v1/notifications/channels/{channel_id}").json()["name"] == "成交播报"  # unchanged
        missing = admin.put("/api/v1/notifications/channels/nope", json={"name": "x"})
        assert missing.status_code == 404


def test_kudos_reach_the_chat_once_from_two_processes(
    a: RunningServer, b: RunningServer, chat: FakeChat, metronome: Metronome
) -> None:
    name = unique("kudos")
    path = f"/wecom/{name}"
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        add_channel(
            admin, type="wecom", name="群", url=chat.hook("wecom", name), contests=[org.contest], events=["badge"]
        )
    with b.admin() as admin:
        given = admin.post("/api/v1/kudos", json={"rep": org.reps[1], "message": "**三连胜**，继续冲！"})
        assert given.status_code == 201, given.text
    (message,) = eventually(lambda: chat.at(path), timeout=30)
    assert "为 销售 0-1 点赞" in message.text and "**三连胜**，继续冲！" in message.text
    a_later_tick_finishes(a, chat, metronome)
    assert len(chat.at(path)) == 1  # exactly once, whichever process collected it


def test_the_awards_of_a_closing_contest_are_announced_once(
    a: RunningServer, chat: FakeChat, metronome: Metronome
) -> None:
    name = unique("awards")
    path = f"/slack/{name}"
    with a.admin() as admin:
        org = make_org(
            admin,
            starts_at=now_iso(-timedelta(days=1)),
            ends_at=now_iso(timedelta(seconds=3)),
            grace_hours=0,
            awards=[{"kind": "best_seller"}, {"kind": "best_team", "title": "Team of the month"}],
        )
        add_channel(
            admin, type="slack", name="#wins", url=chat.hook("slack", name), contests=[org.contest],
            events=["contest_won"], locale="en",
        )  # fmt: skip
    post(a, [deal(org.reps[4], "90000", occurred_at=now_iso(-timedelta(hours=1)))])
    eventually(lambda: len(chat.at(path)) >= 3, timeout=30)
    a_later_tick_finishes(a, chat, metronome)
    texts = sorted(m.body["text"] for m in chat.at(path))
    assert len(texts) == 3 and "is over" in texts[-1], texts
    assert texts[:2] == ["🏆 Best seller of the month: 销售 1-1", "🏆 Team of the month: 战队 1"]
