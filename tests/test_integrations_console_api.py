"""What the console pages of connectors and chat channels rely on: the latest deliveries of a connector with
their outcome, a signed test delivery that keeps nothing, matching an unmatched CRM user to a rep (its waiting
deals count at once), and pausing a chat channel (its messages wait until it is resumed)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import signed_in
from tests.support.fake_chat import running_fake_chat
from tests.support.integrations import create_connector, send_signed, unmapped
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

SECRET = "s" * 16 + unique("k")


def generic(admin: httpx.Client, server: RunningServer) -> tuple[str, str]:
    connector = create_connector(admin, "generic", {"secret": SECRET})
    return connector, f"{server.base_url}/hooks/generic/{connector}"


def deliveries(admin: httpx.Client, connector: str) -> list[dict]:
    response = admin.get(f"/api/v1/connectors/{connector}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def test_each_delivery_is_kept_with_its_outcome_newest_first_and_bounded(
    admin: httpx.Client, server: RunningServer
) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    connector, hook = generic(admin, server)
    won = deal(org.reps[0], 3000)
    assert send_signed(hook, SECRET, won).status_code == 200
    assert send_signed(hook, SECRET, won).status_code == 200
    assert send_signed(hook, SECRET, deal("crm-stranger", 1000)).status_code == 200
    assert send_signed(hook, SECRET, won, signature="sha256=" + "0" * 64).status_code == 401
    assert send_signed(hook, SECRET, deal(org.reps[0], "a lot")).status_code == 200
    outcomes = [(d["outcome"], d.get("reason")) for d in deliveries(admin, connector)]
    assert outcomes == [
        ("rejected", "event"),
        ("rejected", "signature"),
        ("held", None),
        ("duplicate", None),
        ("accepted", None),
    ]
    refused = deliveries(admin, connector)[0]
    assert refused["events"] == [{"number": 1, "fields": ["amount"]}]
    for _ in range(52):
        send_signed(hook, SECRET, won, signature="sha256=bad")
    assert len(deliveries(admin, connector)) == 50
    assert admin.delete(f"/api/v1/connectors/{connector}").status_code == 204
    assert admin.get(f"/api/v1/connectors/{connector}/deliveries").status_code == 404


def test_a_test_delivery_goes_through_the_signed_webhook_and_keeps_nothing(
    admin: httpx.Client, server: RunningServer
) -> None:
    connector, _ = generic(admin, server)
    response = admin.post(f"/api/v1/connectors/{connector}/test")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "test"
    assert response.json()["rejected"] == 0
    assert [d["outcome"] for d in deliveries(admin, connector)] == ["test"]
    assert unmapped(admin, connector) == {}
    hubspot = create_connector(admin, "hubspot", {"client_secret": "c" * 20, "access_token": "t" * 20})
    refused = admin.post(f"/api/v1/connectors/{hubspot}/test")
    assert refused.status_code == 409, refused.text
    assert admin.post("/api/v1/connectors/nope/test").status_code == 404


def test_matching_a_crm_user_counts_what_waited_and_what_comes_next(admin: httpx.Client, server: RunningServer) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    connector, hook = generic(admin, server)
    crm_user = unique("crm-user")
    assert send_signed(hook, SECRET, deal(crm_user, 5000)).json()["held"] == 1
    assert unmapped(admin, connector) == {crm_user: 1}
    assert scores(admin, org.contest).get(org.reps[0], 0) == 0

    unknown = admin.post(f"/api/v1/connectors/{connector}/map", json={"crm_user": crm_user, "rep": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "rep"
    mapped = admin.post(f"/api/v1/connectors/{connector}/map", json={"crm_user": crm_user, "rep": org.reps[0]})
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["accepted"] == 1
    assert unmapped(admin, connector) == {}
    eventually(lambda: scores(admin, org.contest).get(org.reps[0]) == 5, what="the waiting deal to count")

    assert send_signed(hook, SECRET, deal(crm_user, 2000)).json()["accepted"] == 1
    eventually(lambda: scores(admin, org.contest).get(org.reps[0]) == 7, what="the next deal to count")
    again = admin.post(f"/api/v1/connectors/{connector}/map", json={"crm_user": crm_user, "rep": org.reps[0]})
    assert again.status_code == 200 and again.json()["accepted"] == 0
    taken = admin.post(f"/api/v1/connectors/{connector}/map", json={"crm_user": "someone-else", "rep": org.reps[0]})
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "rep"
    rep = admin.get("/api/v1/reps").json()["reps"]
    assert next(r for r in rep if r["id"] == org.reps[0])["aliases"] == {connector: crm_user}


def test_a_paused_channel_keeps_its_messages_until_it_is_resumed(
    admin: httpx.Client, ingest: httpx.Client, server: RunningServer
) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    with running_fake_chat() as chat:
        paths = {name: f"/wecom/{unique(name)}" for name in ("paused", "active")}
        ids = {}
        for name, path in paths.items():
            body = {
                "type": "wecom",
                "name": name,
                "url": chat.url + path,
                "events": ["deal"],
                "contests": [org.contest],
            }
            created = admin.post("/api/v1/notifications/channels", json=body)
            assert created.status_code == 201, created.text
            ids[name] = created.json()["id"]
        channel = ids["paused"]
        paused = admin.post(f"/api/v1/notifications/channels/{channel}/pause")
        assert paused.status_code == 200 and paused.json() == {"id": channel, "paused": True}
        assert admin.get(f"/api/v1/notifications/channels/{channel}").json()["paused"] is True

        # The active channel hearing the second deal proves the notifier went past the first one.
        for count, amount in enumerate((8000, 9000), start=1):
            assert ingest.post("/api/v1/events", json=deal(org.reps[0], amount)).status_code < 300
            eventually(lambda n=count: len(chat.at(paths["active"])) == n, timeout=30, what="the active channel")
        assert chat.at(paths["paused"]) == []
        assert admin.get(f"/api/v1/notifications/channels/{channel}").json()["delivery"]["waiting"] == 2

        test = admin.post(f"/api/v1/notifications/channels/{channel}/test")
        assert test.status_code == 200, test.text  # a test still goes out while paused
        assert len(chat.at(paths["paused"])) == 1

        resumed = admin.post(f"/api/v1/notifications/channels/{channel}/resume")
        assert resumed.status_code == 200 and resumed.json()["paused"] is False
        eventually(lambda: len(chat.at(paths["paused"])) == 3, timeout=30, what="the waiting messages after resuming")
        assert admin.post("/api/v1/notifications/channels/nope/pause").status_code == 404


@pytest.mark.parametrize("path", ["/admin/connectors", "/admin/channels"])
def test_the_pages_are_for_administrators_only(server: RunningServer, admin: httpx.Client, path: str) -> None:
    stranger = httpx.get(server.base_url + path, follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login")
    team = unique("team")
    assert admin.put(f"/api/v1/teams/{team}", json={"name": "华东"}).status_code == 201
    manager = signed_in(server, admin, "manager", teams=[team])
    sent_home = manager.client.get(path)
    assert sent_home.status_code == 303 and sent_home.headers["location"] == "/admin"
    assert path not in manager.client.get("/admin").text  # nor linked from the sidebar
    administrator = signed_in(server, admin, "admin")
    shown = administrator.client.get(path)
    assert shown.status_code == 200 and f'href="{path}" aria-current="page"' in shown.text
