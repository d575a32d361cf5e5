"""Pipedrive webhooks v2: basic auth, won scores, leaving won or deleting reverses, meta.id deduplicates."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

from tests.support.integrations import create_connector, scores, set_alias
from tests.support.org import make_org
from tests.support.pipedrive_webhooks import PASSWORD, USERNAME, post, webhook
from tests.support.server import RunningServer

deal_numbers = itertools.count(int(uuid.uuid4().int % 10**6) * 1000)


def setup(admin: httpx.Client) -> tuple[Any, str]:
    org = make_org(admin)
    connector = create_connector(admin, "pipedrive", {"username": USERNAME, "password": PASSWORD})
    set_alias(admin, org, 0, {connector: "18487521"})
    return org, connector


def test_wrong_or_missing_credentials_are_401_and_nothing_scores(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    document = webhook(next(deal_numbers))
    assert post(server, connector, document, auth=(USERNAME, "wrong-password")).status_code == 401
    assert post(server, connector, document, auth=("someone", PASSWORD)).status_code == 401
    assert httpx.post(f"{server.base_url}/hooks/pipedrive/{connector}", json=document).status_code == 401
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_a_won_deal_scores_once_however_often_pipedrive_delivers_it(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    document = webhook(next(deal_numbers), value=36000.5)
    first = post(server, connector, document)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 1
    assert post(server, connector, document).json()["redelivered"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 36


def test_leaving_won_reverses_and_a_delete_after_winning_again_reverses_too(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector = setup(admin)
    deal = next(deal_numbers)
    post(server, connector, webhook(deal))
    assert scores(admin, org.contest)[org.reps[0]] == 36
    lost = webhook(deal, status="lost")
    lost["previous"] = {"status": "won"}
    assert post(server, connector, lost).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0
    assert post(server, connector, webhook(deal, value=50000)).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 50
    assert post(server, connector, webhook(deal, action="delete", value=50000)).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_a_delivery_older_than_the_last_one_applied_changes_nothing(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    deal = next(deal_numbers)
    older_won = webhook(deal)
    newer_lost = webhook(deal, status="lost")
    assert post(server, connector, newer_lost).status_code == 200
    assert post(server, connector, older_won).status_code == 200  # arrived late: the deal is lost now
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_other_objects_are_ignored_and_malformed_bodies_are_400(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    person = webhook(next(deal_numbers))
    person["meta"]["entity"] = "person"
    assert post(server, connector, person).json()["ignored"] == 1
    assert post(server, connector, {"data": {}}).status_code == 400
    broken = httpx.post(
        f"{server.base_url}/hooks/pipedrive/{connector}",
        content=b"{not json",
        auth=(USERNAME, PASSWORD),
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert scores(admin, org.contest)[org.reps[0]] == 0
