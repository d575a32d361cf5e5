"""Single sign-on against a fake identity provider on loopback (tests/support/fake_idp.py): real HTTP, real
redirects (httpx following them; Chromium for the Feishu button), a server configured by environment."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from joserfc.jwk import RSAKey
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import expect

from server.auth.sso import MAX_STARTS_PER_IP
from server.auth.sso_accounts import oidc_role, sso_username
from server.auth.sso_providers import normalize_mobile
from server.config import ConfigError, load_settings
from server.embedded_redis import EmbeddedRedis
from server.sso_config import OidcConfig, load_sso
from tests.support.accounts import Browser
from tests.support.browser import screenshot, watch_page
from tests.support.fake_idp import (
    CLIENT_ID,
    CLIENT_SECRET,
    DINGTALK_APP_ID,
    DINGTALK_SECRET,
    FEISHU_APP_ID,
    FEISHU_SECRET,
    WECOM_CORP_ID,
    WECOM_SECRET,
    FakeIdp,
    running_fake_idp,
)
from tests.support.org import unique
from tests.support.server import RunningServer, launch_server

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdp]:
    with running_fake_idp() as fake:
        yield fake


@pytest.fixture(autouse=True)
def fresh_idp(idp: FakeIdp) -> None:
    """Every test starts from a provider that behaves."""
    idp.code_seconds, idp.audience, idp.signer, idp.person = 60.0, CLIENT_ID, None, {}


PREFIX = "sso" + uuid.uuid4().hex[:8]  # the test server's keys: apart from the rest of the suite's


@pytest.fixture(scope="module")
def sso_server(
    idp: FakeIdp, redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = launch_server(
        redis_server.url,
        tmp_path_factory.mktemp("sso-server"),
        ARENA_KEY_PREFIX=PREFIX,
        ARENA_OUTBOUND_ALLOW_PRIVATE="1",  # the fake provider listens on loopback over http
        ARENA_OIDC_ISSUER=idp.issuer,
        ARENA_OIDC_CLIENT_ID=CLIENT_ID,
        ARENA_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        ARENA_OIDC_ROLE_CLAIM="groups",
        ARENA_OIDC_REP_CLAIM="employee_id",
        ARENA_FEISHU_APP_ID=FEISHU_APP_ID,
        ARENA_FEISHU_SECRET=FEISHU_SECRET,
        ARENA_FEISHU_MATCH="mobile",
        ARENA_FEISHU_LOGIN_URL=f"{idp.base_url}/feishu/authorize",
        ARENA_FEISHU_API_URL=idp.base_url,
        ARENA_DINGTALK_APP_ID=DINGTALK_APP_ID,
        ARENA_DINGTALK_SECRET=DINGTALK_SECRET,
        ARENA_DINGTALK_MATCH="email",
        ARENA_DINGTALK_LOGIN_URL=f"{idp.base_url}/dingtalk/authorize",
        ARENA_DINGTALK_API_URL=idp.base_url,
        ARENA_WECOM_CORP_ID=WECOM_CORP_ID,
        ARENA_WECOM_AGENT_ID="1000002",
        ARENA_WECOM_SECRET=WECOM_SECRET,
        ARENA_WECOM_LOGIN_URL=f"{idp.base_url}/wecom/authorize",
        ARENA_WECOM_API_URL=idp.base_url,
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(sso_server: RunningServer) -> Iterator[httpx.Client]:
    with sso_server.admin() as client:
        yield client


def make_rep(admin: httpx.Client, team: str, **aliases: str) -> str:
    rep = unique("rep")
    response = admin.put(f"/api/v1/reps/{rep}", json={"name": f"Rep {rep[-4:]}", "team": team, "aliases": aliases})
    assert response.status_code == 201, response.text
    return rep


def make_team(admin: httpx.Client) -> str:
    team = unique("team")
    assert admin.put(f"/api/v1/teams/{team}", json={"name": team}).status_code == 201
    return team


def browser_like(server: RunningServer) -> httpx.Client:
    """A client that keeps its cookie and follows every redirect: here → the provider → back here."""
    return httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=True)


def refusal(response: httpx.Response) -> str:
    found = re.search(r'data-reason="([a-z_]+)"', response.text)
    assert found, response.text[:500]
    return found.group(1)


def test_a_rep_signs_on_and_gets_the_same_session_as_a_local_user(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    team = make_team(admin)
    employee = unique("E")
    rep = make_rep(admin, team, oidc=employee)
    idp.person = {"sub": unique("sub"), "groups": ["arena-rep"], "employee_id": employee, "name": "王芳"}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/oidc")
        assert landed.status_code == 200 and landed.url.path == "/m"
        me = client.get("/api/v1/me").json()
        assert (me["role"], me["rep"], me["username"]) == ("rep", rep, f"oidc.{employee}")
        # A change still needs the session's CSRF token.
        assert client.put("/api/v1/me", json={"locale": "en"}).status_code == 403
        token = CSRF_META.search(client.get("/m").text)
        assert token
        assert client.put("/api/v1/me", json={"locale": "en"}, headers={"X-CSRF-Token": token.group(1)}).is_success
        # A password set on the account does not open a way around the identity provider.
        password = {"password": "a-local-password-1"}
        assert client.put("/api/v1/me", json=password, headers={"X-CSRF-Token": token.group(1)}).is_success
        assert Browser(sso_server).login(f"oidc.{employee}", password["password"]).status_code == 401
        # Deactivated by an admin: the session ends at once (``sv``), and signing on again is refused.
        assert admin.put(f"/api/v1/users/oidc.{employee}", json={"active": False}).is_success
        assert client.get("/api/v1/me").status_code == 401
    with browser_like(sso_server) as client:
        again = client.get("/sso/oidc")
    assert again.status_code == 403 and refusal(again) == "inactive"


def provider_knows_a_linked_rep(admin: httpx.Client, idp: FakeIdp) -> str:
    """A rep linked by employee id, whom the provider will sign in next; returns the rep id."""
    employee = unique("E")
    rep = make_rep(admin, make_team(admin), oidc=employee)
    idp.person = {"sub": unique("sub"), "groups": ["arena-rep"], "employee_id": employee}
    return rep


def test_a_manager_gets_the_teams_the_claim_names(sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp) -> None:
    own, other = make_team(admin), make_team(admin)
    own_rep, other_rep = make_rep(admin, own), make_rep(admin, other)
    email = f"{unique('mgr')}@corp.example"
    idp.person = {"sub": unique("sub"), "groups": ["staff", "arena-manager"], "email": email, "arena_teams": [own]}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/oidc")
        assert landed.url.path == "/admin"
        me = client.get("/api/v1/me").json()
        assert (me["role"], me["teams"], me["username"]) == ("manager", [own], f"oidc.{email}")
        listed = {r["id"] for r in client.get("/api/v1/reps").json()["reps"]}
        assert own_rep in listed and other_rep not in listed


def test_a_rep_with_no_directory_entry_is_refused_and_not_created(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    employee = unique("E")
    idp.person = {"sub": unique("sub"), "groups": ["arena-rep"], "employee_id": employee}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/oidc")
        assert landed.status_code == 403 and refusal(landed) == "unlinked"
        assert client.get("/api/v1/me").status_code == 401
    assert f"oidc.{employee}" not in {u["username"] for u in admin.get("/api/v1/users").json()["users"]}


def test_no_role_claim_is_refused(sso_server: RunningServer, idp: FakeIdp) -> None:
    idp.person = {"sub": unique("sub"), "groups": ["staff"], "email": "x@corp.example"}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/oidc")
    assert landed.status_code == 403 and refusal(landed) == "no_role"


def test_a_forged_or_replayed_state_is_refused_before_any_code_is_exchanged(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    provider_knows_a_linked_rep(admin, idp)
    with httpx.Client(base_url=sso_server.base_url, timeout=15) as client:
        to_provider = client.get("/sso/oidc").headers["location"]
        callback = httpx.get(to_provider).headers["location"]
        before = idp.token_requests
        forged = re.sub(r"state=[^&]+", "state=forged-by-someone", callback)
        answer = client.get(forged)
        assert answer.status_code == 400 and refusal(answer) == "expired"
        assert client.get(re.sub(r"state=[^&]+", "state=%E7%8A%B6%E6%80%81", callback)).status_code == 400
        # The real callback now fails too: the browser's state was used up by the first answer.
        assert client.get(callback).status_code == 400
        assert idp.token_requests == before
    # Another browser with the right callback URL (stolen or replayed): not its state.
    with httpx.Client(base_url=sso_server.base_url, timeout=15) as stranger:
        stranger.get("/sso/oidc")
        assert stranger.get(callback).status_code == 400
    assert idp.token_requests == before


def test_a_state_works_once_even_with_the_cookie_it_was_given(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    provider_knows_a_linked_rep(admin, idp)
    with httpx.Client(base_url=sso_server.base_url, timeout=15) as client:
        to_provider = client.get("/sso/oidc").headers["location"]
        cookie_then = dict(client.cookies)
        callback = httpx.get(to_provider).headers["location"]
        assert client.get(callback).headers["location"] == "/m"
    used = idp.token_requests
    with httpx.Client(base_url=sso_server.base_url, timeout=15, cookies=cookie_then) as replay:
        answer = replay.get(callback)
        assert answer.status_code == 400 and refusal(answer) == "expired"
    assert idp.token_requests == used


def test_a_rotated_signing_key_is_fetched_again(sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp) -> None:
    provider_knows_a_linked_rep(admin, idp)
    with browser_like(sso_server) as client:
        assert client.get("/sso/oidc").url.path == "/m"  # the server now holds the JWKS with k1
    first = idp.key
    idp.key = RSAKey.generate_key(2048, parameters={"kid": unique("k")}, private=True)
    try:
        with browser_like(sso_server) as client:
            assert client.get("/sso/oidc").url.path == "/m"
    finally:
        idp.key = first


@pytest.mark.parametrize("failure", ["expired code", "wrong audience", "bad signature"])
def test_a_code_or_token_that_does_not_hold_signs_no_one_in(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp, failure: str
) -> None:
    provider_knows_a_linked_rep(admin, idp)
    if failure == "expired code":
        idp.code_seconds = -1.0
    elif failure == "wrong audience":
        idp.audience = "some-other-client"
    else:
        idp.signer = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    with browser_like(sso_server) as client:
        landed = client.get("/sso/oidc")
        assert landed.status_code == 400 and refusal(landed) == "failed"
        assert client.get("/api/v1/me").status_code == 401
    log = sso_server.log_path.read_text()
    assert CLIENT_SECRET not in log and "code=" not in log


def test_wecom_maps_a_manager_an_admin_made_and_refuses_a_stranger(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    team = make_team(admin)
    userid = unique("ZhangWei")
    made = {"role": "manager", "teams": [team], "password": uuid.uuid4().hex}
    assert admin.put(f"/api/v1/users/wecom.{userid}", json=made).status_code == 201
    idp.person = {"userid": userid}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/wecom")
        assert landed.url.path == "/admin"
        me = client.get("/api/v1/me").json()
        assert (me["role"], me["teams"]) == ("manager", [team])
    idp.person = {"userid": unique("stranger")}
    with browser_like(sso_server) as client:
        landed = client.get("/sso/wecom")
        assert landed.status_code == 403 and refusal(landed) == "unlinked"


def test_dingtalk_signs_a_rep_in_by_email_and_an_expired_code_no_one(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp
) -> None:
    team = make_team(admin)
    email = f"{unique('li')}@corp.example"
    rep = make_rep(admin, team, dingtalk=email)
    idp.person = {"unionId": unique("u"), "nick": "李娜", "email": email, "mobile": "13900000000"}
    with browser_like(sso_server) as client:
        assert client.get("/sso/dingtalk").url.path == "/m"
        assert client.get("/api/v1/me").json()["rep"] == rep
    idp.code_seconds = -1.0
    with browser_like(sso_server) as client:
        landed = client.get("/sso/dingtalk")
        assert landed.status_code == 400 and refusal(landed) == "failed"
        assert client.get("/api/v1/me").status_code == 401


@pytest.mark.browser
def test_feishu_button_signs_a_rep_in_by_mobile(
    sso_server: RunningServer, admin: httpx.Client, idp: FakeIdp, browser: Chromium, tmp_path: Path
) -> None:
    team = make_team(admin)
    mobile = "139" + uuid.uuid4().int.__str__()[:8]
    rep = make_rep(admin, team, feishu=mobile)
    idp.person = {"user_id": unique("ou"), "name": "李雷", "mobile": f"+86{mobile}"}
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors, _ = watch_page(page, sso_server)
    try:
        page.goto(f"{sso_server.base_url}/login")
        expect(page.locator("input[name=password]")).to_be_visible()  # local passwords stay
        expect(page.locator("[data-sso=oidc]")).to_have_text("企业账号登录")
        screenshot(page, "sso-login.png")
        page.locator("[data-sso=feishu]").click()
        page.wait_for_url(f"{sso_server.base_url}/m")
        me = page.request.get(f"{sso_server.base_url}/api/v1/me").json()
        assert (me["rep"], me["username"]) == (rep, f"feishu.{mobile}")
        assert errors == []
    finally:
        context.close()


def test_an_address_that_starts_too_many_sign_ons_is_held_off(
    sso_server: RunningServer, redis_client: redis.Redis
) -> None:
    starts = f"{PREFIX}:{{auth}}:sso_starts:127.0.0.1"  # as game/keys.py names it under the server's prefix
    redis_client.set(starts, MAX_STARTS_PER_IP, ex=60)
    try:
        with browser_like(sso_server) as client:
            held = client.get("/sso/oidc")
            assert held.status_code == 429 and refusal(held) == "busy"
    finally:
        redis_client.delete(starts)


def test_settings_name_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="ARENA_OIDC_CLIENT_SECRET"):
        load_settings({"ARENA_OIDC_ISSUER": "https://id.example", "ARENA_OIDC_CLIENT_ID": "x"})
    with pytest.raises(ConfigError, match="ARENA_WECOM_AGENT_ID"):
        load_settings({"ARENA_WECOM_CORP_ID": "ww1", "ARENA_WECOM_SECRET": "s"})
    with pytest.raises(ConfigError, match="ARENA_DINGTALK_MATCH"):
        load_settings({"ARENA_DINGTALK_APP_ID": "d", "ARENA_DINGTALK_SECRET": "s", "ARENA_DINGTALK_MATCH": "name"})
    config = load_sso({"ARENA_DINGTALK_APP_ID": "d", "ARENA_DINGTALK_SECRET": "s"})
    assert config.providers == ("dingtalk",) and config.enterprise[0].match == "mobile"
    assert not load_sso({}).enabled


def test_role_and_names_are_pure_rules() -> None:
    config = OidcConfig(issuer="https://id.example", client_id="c", client_secret="s")
    assert oidc_role({"roles": ["arena-rep", "arena-admin"]}, config) == "admin"
    assert oidc_role({"roles": "arena-manager"}, config) == "manager"
    assert oidc_role({"roles": ["other"]}, config) is None
    assert sso_username("oidc", "a@b.cn") == "oidc.a@b.cn"
    assert sso_username("oidc", "名字").startswith("oidc.") and len(sso_username("oidc", "x" * 90)) <= 64
    assert normalize_mobile("+86 138-0000-1234") == "13800001234"
