"""The authorization matrix: every route the app serves that an API client or a form can call (the API, the CRM
hooks, the pages that change state) × every class of caller, answered as the route declares it
(``server/auth/access.py``; the table sits beside each route). A denied caller gets exactly the declared
401, 403 or 404 and changes nothing; an allowed caller is never told 401 or 403.

One organisation is built once on a server of its own: team A with a contest (and an anti-gaming flag in it),
team B, a rep of each signed in on the phone, a manager of each signed in on the console, a display of team
A's manager showing the contest, and a read key. Each request is one a caller allowed would have answered:
path parameters name team A's objects (made afresh for a route that may delete or replace them), bodies are
valid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from server.api.contract import MISSING, ApiRoute, Operation
from server.api.openapi import PATH_PARAMETER
from server.auth.access import ALLOWED, CALLERS, LOGIN, Access
from server.embedded_redis import EmbeddedRedis
from server.web.routes import ACCESS as PAGE_ACCESS
from tests.support.accounts import Browser, make_user
from tests.support.org import unique
from tests.support.server import ADMIN_KEY, INGEST_KEY, RunningServer, launch_server
from tests.support.unconnected_app import APP
from tests.support.waiting import eventually

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


# --- the routes and what they declare --------------------------------------------------------------------


def served(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, BaseRoute]]:
    """(method, full path, route) of every route, through the mounts."""
    for route in routes:
        if isinstance(route, Mount):
            yield from served(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, prefix + route.path, route


def declared(routes: Sequence[BaseRoute]) -> tuple[dict[tuple[str, str], Access], list[str]]:
    """Each API route's and each state-changing page's access, and the routes that declare none."""
    found: dict[tuple[str, str], Access] = {}
    missing = []
    for method, path, route in served(routes):
        if isinstance(route, ApiRoute):
            access = route.operation.access
        elif method in UNSAFE:
            access = PAGE_ACCESS.get((method, path))
        else:
            continue  # a page that only shows
        if access is None:
            missing.append(f"{method} {path}")
        else:
            found[(method, path)] = access
    return found, missing


async def _probe(request: Request) -> Response:
    return Response()


def test_every_route_declares_who_gets_what() -> None:
    table, missing = declared(APP.routes)
    assert not missing
    assert len(table) > 60 and ("POST", "/hooks/{source}/{id}") in table and ("POST", "/locale") in table


def test_a_route_without_a_declaration_is_found() -> None:
    probes: list[BaseRoute] = [
        Mount("/api/v1", routes=[ApiRoute("/probe", _probe, "POST", Operation("A probe", "meta", "admin"))]),
        Route("/probe-form", _probe, methods=["POST"]),
        Route("/probe-page", _probe, methods=["GET"]),  # shows only: not in the matrix
    ]
    _, missing = declared([*APP.routes, *probes])
    assert missing == ["POST /api/v1/probe", "POST /probe-form"]


# --- the organisation and its callers --------------------------------------------------------------------


@dataclass
class Caller:
    """One class of caller: a bearer key or token, or a browser session with its CSRF token (cookies are sent
    by hand and never kept, so signing in or out elsewhere cannot change who this caller is)."""

    name: str
    bearer: str = ""
    cookie: str = ""
    csrf: str = ""

    def headers(self) -> dict[str, str]:
        if self.bearer:
            return {"Authorization": f"Bearer {self.bearer}"}
        if self.cookie:
            return {"Cookie": f"arena_session={self.cookie}", "X-CSRF-Token": self.csrf}
        return {}


def _session(server: RunningServer, username: str, password: str, name: str) -> Caller:
    browser = Browser(server)
    assert browser.login(username, password).status_code == 303
    assert browser.csrf
    return Caller(name, cookie=browser.client.cookies["arena_session"], csrf=browser.csrf)


@dataclass
class World:
    """Team A's objects, the means to make more of them, and the callers."""

    server: RunningServer
    admin: httpx.Client
    team_a: str
    team_b: str
    rep_a: str
    rep_a2: str
    rep_b: str
    contest: str
    definition: dict[str, Any]
    flag: str
    rep_user: str
    spare_login: tuple[str, str]
    manager: Caller
    callers: dict[str, Caller] = field(default_factory=dict)

    def as_manager(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.manager.headers()
        return httpx.request(method, self.server.base_url + path, headers=headers, timeout=15, **kwargs)

    def display_body(self, name: str) -> dict[str, Any]:
        return {"name": name, "playlist": [f"contest:{self.contest}"]}

    def contest_definition(self, contest_id: str | None = None) -> dict[str, Any]:
        return {**self.definition, "id": contest_id or unique("contest")}


def _flag_of(admin: httpx.Client, contest: str) -> str:
    def found() -> str:
        flags = admin.get(f"/api/v1/contests/{contest}/flags").json()["flags"]
        assert flags, "no flag yet"
        return str(flags[0]["id"])

    return eventually(found, what="a split-deals flag")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with EmbeddedRedis() as redis:
        # Chat channels here point at loopback: this test is about who may call, not where calls may go.
        server = launch_server(redis.url, Path(tmp_path_factory.mktemp("matrix")), ARENA_OUTBOUND_ALLOW_PRIVATE="1")
        admin = server.admin()
        try:
            yield _build(server, admin)
        finally:
            admin.close()
            server.stop()


def _build(server: RunningServer, admin: httpx.Client) -> World:
    team_a, team_b = unique("team-a"), unique("team-b")
    reps = {team_a: [unique("rep-a"), unique("rep-a")], team_b: [unique("rep-b")]}
    for team, members in reps.items():
        assert admin.put(f"/api/v1/teams/{team}", json={"name": team}).status_code == 201
        for rep in members:
            assert admin.put(f"/api/v1/reps/{rep}", json={"name": rep, "team": team}).status_code == 201
    (rep_a, rep_a2), (rep_b,) = reps[team_a], reps[team_b]
    now = datetime.now(UTC).replace(microsecond=0)
    definition = {
        "id": unique("contest"),
        "name": "A 队月度赛",
        "kind": "individual",
        "starts_at": (now - timedelta(days=10)).isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "deal.won", "points": 50, "min_amount": 50000}],
        "teams": [team_a],
    }
    assert admin.post("/api/v1/contests", json=definition).status_code == 201
    customer = unique("ACME")
    split = [
        {
            "id": unique("split"),
            "type": "deal.won",
            "rep": rep_a,
            "amount": "48000",
            "customer": customer,
            "occurred_at": (now - timedelta(hours=20 - 2 * n)).isoformat(),
        }
        for n in range(3)
    ]
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=split).status_code == 200
    flag = _flag_of(admin, definition["id"])

    rep_user, rep_password = make_user(admin, "rep", rep=rep_a)
    other_rep = make_user(admin, "rep", rep=rep_b)
    manager_login = make_user(admin, "manager", teams=[team_a])
    other_manager_login = make_user(admin, "manager", teams=[team_b])
    spare_login = make_user(admin, "manager", teams=[team_b])
    read_key = admin.post("/api/v1/keys", json={"scope": "read", "name": "matrix"}).json()["key"]
    manager = _session(server, *manager_login, "manager")
    world = World(
        server, admin, team_a, team_b, rep_a, rep_a2, rep_b, definition["id"], definition, flag, rep_user,
        spare_login, manager,
    )  # fmt: skip
    shown = world.as_manager(
        "POST", "/api/v1/displays", json={"name": "A TV", "playlist": [f"contest:{world.contest}"]}
    )
    assert shown.status_code == 201, shown.text
    world.callers = {
        "anonymous": Caller("anonymous"),
        "ingest_key": Caller("ingest_key", bearer=INGEST_KEY),
        "read_key": Caller("read_key", bearer=read_key),
        "display": Caller("display", bearer=shown.json()["token"]),
        "rep": _session(server, rep_user, rep_password, "rep"),
        "other_rep": _session(server, *other_rep, "other_rep"),
        "other_manager": _session(server, *other_manager_login, "other_manager"),
        "manager": manager,
        "admin_key": Caller("admin_key", bearer=ADMIN_KEY),
        "admin_session": _session(server, "admin", "admin-test-password", "admin_session"),
    }
    assert set(world.callers) == set(CALLERS)
    return world


# --- team A's objects a route names, made afresh where a route may delete or replace them ----------------


def _fresh_display(world: World) -> str:
    response = world.as_manager(
        "POST", "/api/v1/displays", json={"name": "spare", "playlist": [f"contest:{world.contest}"]}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _fresh_challenge(world: World) -> str:
    rep = world.callers["rep"]
    response = httpx.post(
        world.server.base_url + "/api/v1/challenges", json={"opponent": world.rep_a2}, headers=rep.headers()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _fresh_dispute(world: World) -> str:
    rep = world.callers["rep"]
    body = {"contest": world.contest, "kind": "missing_deal", "message": "A 公司的单"}
    response = httpx.post(world.server.base_url + "/api/v1/disputes", json=body, headers=rep.headers())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _fresh_reward(world: World) -> str:
    reward = unique("reward")
    response = world.admin.put(f"/api/v1/rewards/catalogue/{reward}", json={"name": "休假一天", "cost": 1})
    assert response.status_code == 201, response.text
    return reward


def _fresh_redemption(world: World) -> str:
    """A request of team A's rep, awaiting a decision."""
    reward = _fresh_reward(world)
    grant = {"rep": world.rep_a, "points": 1, "ref": unique("matrix")}
    assert world.admin.post("/api/v1/rewards/grants", json=grant).status_code == 200
    rep = world.callers["rep"]
    body = {"reward": reward}
    response = httpx.post(world.server.base_url + "/api/v1/rewards/redemptions", json=body, headers=rep.headers())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _rewards(world: World, path: str) -> str:
    return _fresh_redemption(world) if "/redemptions/" in path else _fresh_reward(world)


def _fresh_key(world: World) -> str:
    return str(world.admin.post("/api/v1/keys", json={"scope": "read", "name": "spare"}).json()["id"])


def _connector(world: World) -> str:
    body = {"type": "generic", "name": "spare", "config": {"secret": "s" * 24}}
    response = world.admin.post("/api/v1/connectors", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


CHANNEL = {"type": "slack", "name": "spare", "url": "https://127.0.0.1:9/hook"}


def _channel(world: World) -> str:
    response = world.admin.post("/api/v1/notifications/channels", json=CHANNEL)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _team_goal(world: World) -> dict[str, Any]:
    today = datetime.now(UTC)
    return {
        "metric": "revenue",
        "period": f"{today.year}-{today.month:02d}",
        "level": "team",
        "owner": world.team_a,
        "target": 1000,
    }


def _fresh_goal(world: World) -> str:
    goal_id = unique("goal")
    response = world.admin.put(f"/api/v1/goals/{goal_id}", json=_team_goal(world))
    assert response.status_code == 201, response.text
    return goal_id


def _fresh_rep(world: World) -> str:
    """A rep of team A that a route may erase."""
    rep = unique("rep-a")
    assert world.admin.put(f"/api/v1/reps/{rep}", json={"name": rep, "team": world.team_a}).status_code == 201
    return rep


def path_values(path: str, world: World) -> dict[str, str]:
    """The values of a route's path parameters: team A's objects."""
    area = path.removeprefix("/api/v1").split("/")[1]
    values = {
        "rep": world.rep_a,
        "division": "north",
        "window": "month",
        "action": "pause",
        "flag": world.flag,
        "event": MISSING,
        "period": "2030-Q1",
    }
    ids: dict[str, Callable[[], str]] = {
        "contests": lambda: world.contest,
        "admin": lambda: world.contest,
        "flags": lambda: world.flag,
        "teams": lambda: world.team_a,
        "reps": lambda: world.rep_a,
        "badges": lambda: unique("badge"),
        "displays": lambda: _fresh_display(world),
        "challenges": lambda: _fresh_challenge(world),
        "disputes": lambda: _fresh_dispute(world),
        "rewards": lambda: _rewards(world, path),
        "keys": lambda: _fresh_key(world),
        "connectors": lambda: _connector(world),
        "hooks": lambda: _connector(world),
        "notifications": lambda: _channel(world) if "/channels/" in path else MISSING,
        "goals": lambda: _fresh_goal(world),
        "wall": lambda: _fresh_goal(world),
    }
    if "{id}" in path:
        values["id"] = ids[area]()
    if path.endswith("/people/{rep}"):  # the erasure
        values["rep"] = _fresh_rep(world)
    if area == "challenges":
        values["action"] = "cancel"
    values.update(username=world.rep_user if path.endswith("signin-link") else unique("user"))
    values.update(source="generic", token=MISSING, digest="0" * 32, month="2001-01")
    return values


def body_of(method: str, path: str, world: World) -> tuple[bytes, str]:
    """A body an allowed caller's request would carry, and its content type."""
    deal = {
        "id": unique("evt"),
        "type": "deal.won",
        "rep": world.rep_a,
        "amount": "1000",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    csv = {
        "/api/v1/events/import": f"id,rep,amount,occurred_at\n{deal['id']},{world.rep_a},1000,{deal['occurred_at']}\n",
        "/api/v1/reps/import": f"id,name,team\n{unique('rep')},新人,{world.team_a}\n",
    }
    forms = {
        "/login": {"username": world.spare_login[0], "password": world.spare_login[1]},
        "/locale": {"locale": "en"},
        "/admin/contests/{id}/flags/{flag}/decision": {"decision": "dismiss"},
    }
    documents: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/events"): deal,
        ("POST", "/api/v1/contests/simulate"): {"definition": world.contest_definition()},
        ("POST", "/api/v1/contests/prepare"): world.contest_definition(),
        ("POST", "/api/v1/contests/preview"): world.contest_definition(),
        ("POST", "/api/v1/contests"): world.contest_definition(),
        ("PUT", "/api/v1/contests/{id}"): world.contest_definition(world.contest),
        ("POST", "/api/v1/contests/{id}/change-preview"): world.contest_definition(world.contest),
        ("POST", "/api/v1/flags/{id}/decision"): {"decision": "dismiss"},
        ("PUT", "/api/v1/teams/{id}"): {"name": "A 队"},
        ("PUT", "/api/v1/teams/{id}/scorecard/definition"): {
            "kpis": [{"kpi": "conversion", "weight": 100, "target": 30}]
        },
        ("PUT", "/api/v1/reps/{id}"): {"name": "A 队销售", "team": world.team_a},
        ("PUT", "/api/v1/reps/{id}/photo"): {"image": PIXEL_PNG},
        ("PUT", "/api/v1/org/brand"): {"accent": "#4dd6e8"},
        ("PUT", "/api/v1/rates/{month}"): {"rates": {"USD": "7.1"}},
        ("PUT", "/api/v1/badges/{id}"): {"kind": "first_deal", "period": "ever", "name": {"zh-CN": "首单", "en": "1"}},
        ("POST", "/api/v1/badges/{id}/preview"): {"kind": "first_deal", "name": {"zh-CN": "首单", "en": "1"}},
        ("POST", "/api/v1/displays"): world.display_body("TV"),
        ("PUT", "/api/v1/displays/{id}"): {"name": "TV 2"},
        ("POST", "/api/v1/challenges"): {"opponent": world.rep_a2},
        ("POST", "/api/v1/disputes"): {"contest": world.contest, "kind": "other", "message": "为什么？"},
        ("POST", "/api/v1/disputes/{id}/resolve"): {"decision": "accepted", "note": "好", "adjustment": 5},
        ("PUT", "/api/v1/rewards/catalogue/{id}"): {"name": "与 CEO 共进午餐", "cost": 500},
        ("POST", "/api/v1/rewards/grants"): {"rep": world.rep_a, "points": 5},
        ("POST", "/api/v1/rewards/redemptions"): {"reward": MISSING},
        ("POST", "/api/v1/rewards/redemptions/{id}/decision"): {"status": "approved"},
        ("PUT", "/api/v1/rewards/budgets/{period}"): {"points": 100000},
        ("POST", "/api/v1/kudos"): {"rep": world.rep_a, "message": "本周三单，赞"},
        ("PUT", "/api/v1/users/{username}"): {"role": "manager", "password": "pw-matrix-1", "teams": [world.team_a]},
        ("PUT", "/api/v1/me"): {"locale": "en"},
        ("POST", "/api/v1/keys"): {"scope": "read", "name": "matrix"},
        ("POST", "/api/v1/connectors"): {"type": "generic", "name": "g", "config": {"secret": "s" * 24}},
        ("POST", "/api/v1/connectors/{id}/map"): {"crm_user": unique("crm-user"), "rep": world.rep_a2},
        ("POST", "/api/v1/notifications/channels"): CHANNEL,
        ("PUT", "/api/v1/notifications/channels/{id}"): {"name": "renamed"},
        ("POST", "/hooks/{source}/{id}"): {"event": "deal.won"},
        ("PUT", "/api/v1/goals/{id}"): _team_goal(world),
        ("POST", "/api/v1/goals/{id}/breakdown"): {"split": "even"},
        ("PUT", "/api/v1/org/calendar"): {"country": "CN"},
    }
    if path in csv:
        return csv[path].encode(), "text/csv"
    if path in forms or (method in UNSAFE and not path.startswith(("/api/", "/hooks/"))):
        return urlencode(forms.get(path, {})).encode(), FORM
    if (method, path) in documents:
        return httpx.Request("POST", "/", json=documents[(method, path)]).content, JSON
    return b"", JSON


# a 1×1 PNG, base64
PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
QUERIES = {"/api/v1/audit": "target", "/api/v1/reps/{id}/ledger": "contest"}


def state(world: World) -> dict[str, Any]:
    """What an unsafe request could change, read by an admin: a denied caller must leave it all as it was."""
    reads = [
        f"/api/v1/contests/{world.contest}",
        f"/api/v1/contests/{world.contest}/leaderboard",
        f"/api/v1/contests/{world.contest}/flags",
        "/api/v1/contests",
        "/api/v1/teams",
        "/api/v1/reps",
        "/api/v1/displays",
        "/api/v1/users",
        "/api/v1/keys",
        "/api/v1/badges",
        "/api/v1/connectors",
        "/api/v1/notifications/channels",
        "/api/v1/challenges",
        "/api/v1/disputes",
        "/api/v1/kudos",
    ]
    found = {path: world.admin.get(path).json() for path in reads}
    for channel in found["/api/v1/notifications/channels"]["channels"]:
        channel.pop("delivery", None)  # the notifier's own progress, not a caller's doing
    return found


def settled_state(world: World) -> dict[str, Any]:
    """The state once what earlier requests set going (a rescore, a delivery) has finished: no rescore is under
    way and two reads agree."""
    last = [state(world)]

    def unchanged() -> dict[str, Any]:
        rescore = world.admin.get(f"/api/v1/contests/{world.contest}/rescore").json()
        assert rescore.get("state") in ("idle", "done", "failed"), f"a rescore is {rescore.get('state')}"
        now, before = state(world), last[0]
        last[0] = now
        assert now == before, "still changing"
        return now

    return eventually(unchanged, what="the state to settle")


def test_every_route_answers_every_caller_as_declared(world: World) -> None:
    table, _ = declared(APP.routes)
    wrong: list[str] = []
    sent = 0
    with httpx.Client(base_url=world.server.base_url, timeout=15, follow_redirects=False) as client:
        for (method, path), access in sorted(table.items()):
            values = path_values(path, world)
            url = PATH_PARAMETER.sub(lambda match, v=values: v[match.group(1)], path)  # type: ignore[misc]
            params = {QUERIES[path]: world.contest} if path in QUERIES else {}
            denied = [c for c in CALLERS if not access.allowed(c)]
            before = settled_state(world) if method in UNSAFE else None
            for caller in [*denied, *(c for c in CALLERS if access.allowed(c))]:
                if before is not None and caller not in denied:
                    after = state(world)
                    changed = [key for key, value in after.items() if before[key] != value]
                    wrong += [f"{method} {path}: a denied caller changed {changed}"] if changed else []
                    before = None
                content, media = body_of(method, path, world)
                headers = {**world.callers[caller].headers(), "Content-Type": media, "Accept": JSON}
                response = client.request(method, url, params=params, content=content or None, headers=headers)
                client.cookies.clear()
                sent += 1
                expected = access.outcomes[caller]
                if not _as_declared(response, expected):
                    wrong.append(f"{method} {path} as {caller}: {response.status_code}, declared {expected}")
    assert not wrong, "\n".join(wrong)
    assert sent >= 10 * 60


def _as_declared(response: httpx.Response, expected: object) -> bool:
    if expected == ALLOWED:
        return response.status_code not in (401, 403)
    if expected == LOGIN:
        return response.status_code == 303 and response.headers["location"].startswith("/login")
    return response.status_code == expected


def test_nobody_signed_in_learns_what_exists(world: World) -> None:
    """Without a credential, an API route answers 401 whether the objects its path names exist or not."""
    table, _ = declared(APP.routes)
    wrong = []
    for (method, path), access in sorted(table.items()):
        if not path.startswith("/api/") or "{" not in path or access.outcomes["anonymous"] != 401:
            continue
        url = PATH_PARAMETER.sub(MISSING, path)
        content, media = body_of(method, path, world)
        response = httpx.request(
            method, world.server.base_url + url, content=content or None, headers={"Content-Type": media}
        )
        if response.status_code != 401:
            wrong.append(f"{method} {url}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
