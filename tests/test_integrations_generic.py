"""The generic signed webhook, signed with the very examples of docs/integrations/generic.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.integrations.generic import sign
from tests.support.integrations import create_connector, scores, set_alias, unmapped
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

SECRET = "generic-signing-secret-0123456789"
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "integrations" / "generic.md"


def guide_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.S)
    return next(block for block in blocks if containing in block)


def documented_signer() -> Callable[[str, bytes], dict[str, str]]:
    namespace: dict[str, Any] = {}
    exec(guide_block("python", "def arena_headers"), namespace)
    return namespace["arena_headers"]


def post(server: RunningServer, connector: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/hooks/generic/{connector}", content=body, headers=headers, timeout=20)


def signed(server: RunningServer, connector: str, document: Any, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(document, ensure_ascii=False).encode()
    return post(server, connector, body, documented_signer()(secret, body))


def test_events_signed_as_documented_score_for_reps_named_by_alias_or_by_id(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin)
    connector = create_connector(admin, "generic", {"secret": SECRET})
    set_alias(admin, org, 0, {connector: "fx-user-42"})
    response = signed(server, connector, [deal("fx-user-42", "12000"), deal(org.reps[1], "3000")])
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0, "held": 0, "rejected": []}
    board = scores(admin, org.contest)
    assert (board[org.reps[0]], board[org.reps[1]]) == (12, 3)


def test_a_resent_event_is_a_duplicate_and_a_reversal_by_ref_undoes_it(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin)
    connector = create_connector(admin, "generic", {"secret": SECRET})
    set_alias(admin, org, 0, {connector: "fx-user-42"})
    won = deal("fx-user-42", "9000", event_id="erp-1001")
    signed(server, connector, won)
    assert signed(server, connector, won).json()["duplicates"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 9
    reversal = {"id": "erp-1001-refund", "type": "deal.reversed", "rep": "fx-user-42", "ref": "erp-1001"}
    assert signed(server, connector, reversal).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_bad_stale_or_missing_signatures_are_401_and_nothing_scores(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin)
    connector = create_connector(admin, "generic", {"secret": SECRET})
    body = json.dumps(deal(org.reps[0], "5000")).encode()
    assert signed(server, connector, json.loads(body), secret="guessed-secret-value").status_code == 401
    stale = str(int(time.time()) - 6 * 60)
    stale_headers = {"X-Arena-Timestamp": stale, "X-Arena-Signature": sign(SECRET, stale, body)}
    assert post(server, connector, body, stale_headers).status_code == 401
    assert post(server, connector, body, {}).status_code == 401
    now = str(int(time.time()))
    tampered = body.replace(b"5000", b"9999")
    headers = {"X-Arena-Timestamp": now, "X-Arena-Signature": sign(SECRET, now, body)}
    assert post(server, connector, tampered, headers).status_code == 401
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_malformed_signed_bodies_are_400(server: RunningServer, admin: httpx.Client) -> None:
    connector = create_connector(admin, "generic", {"secret": SECRET})
    for body in (b"{not json", b"[]", b'[{"id": "x", "type": "deal.won"}]', b"[1, 2]"):
        assert post(server, connector, body, documented_signer()(SECRET, body)).status_code == 400, body


def test_an_unknown_user_is_held_then_scored_when_a_rep_gets_the_alias(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin)
    connector = create_connector(admin, "generic", {"secret": SECRET})
    answer = signed(server, connector, [deal("fx-new-hire", "20000"), deal("fx-new-hire", "-5")]).json()
    assert answer["held"] == 1 and [r["index"] for r in answer["rejected"]] == [1]  # held ones are checked first
    assert unmapped(admin, connector) == {"fx-new-hire": 1}
    set_alias(admin, org, 4, {connector: "fx-new-hire"})
    assert scores(admin, org.contest)[org.reps[4]] == 20
    assert unmapped(admin, connector) == {}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_the_documented_openssl_command_computes_the_same_signature() -> None:
    script = guide_block("bash", "openssl")
    signing_line = next(line for line in script.splitlines() if line.startswith("SIG="))
    body = json.dumps(deal("u-42", "12000", event_id=unique("erp")), ensure_ascii=False)
    timestamp = str(int(time.time()))
    result = subprocess.run(
        ["bash", "-c", f'{signing_line}\nprintf "%s" "$SIG"'],
        env={**os.environ, "ARENA_SECRET": SECRET, "TS": timestamp, "BODY": body},
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"sha256={result.stdout.strip()}" == sign(SECRET, timestamp, body.encode())
