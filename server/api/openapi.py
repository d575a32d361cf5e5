"""``GET /api/v1/openapi.json``: an OpenAPI 3.1 description of the HTTP API, built from a compact table.

Every ``/api/v1/…`` route and the CRM webhooks (``/hooks/…``) are listed in ``OPERATIONS`` — one line per
method and path: a summary, a tag, who may call it, the request and response schemas. ``tests/test_openapi.py``
walks the routes of a real app and fails when a route is missing here or an entry names a route that does
not exist, so a new endpoint is documented in the same change. Schemas are hand-written JSON Schema (2020-12,
as OpenAPI 3.1 uses); the websocket protocol is described in ``docs/protocol.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.http import arena_of

VERSION = "1.0.0"
PATH_PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")

# Who may call: the roles named in server/auth/principals.py. "public" needs nothing (or, for hooks, the CRM's own
# signature); "session" is a signed-in browser; the rest take a bearer key or a session.
AUTH = {
    "public": "No authentication.",
    "hook": "No API key: each CRM's own scheme (HubSpot v3 signature, Pipedrive basic auth, Salesforce org and "
    "action ids, Zoho token, generic HMAC) is checked; see docs/integrations/.",
    "admin": "An admin API key or admin session.",
    "manage": "An admin or manager (managers: their own teams and contests).",
    "ingest": "An ingest or admin API key.",
    "read": "Any key or session except ingest-only keys; displays only what their slides show (their boards and "
    "contests, the badge wall with a badge-wall slide).",
    "people": "Admins and read keys; managers for their teams' reps; a rep for their own data.",
    "rep": "A rep's session (the phone app).",
    "session": "A signed-in browser session.",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def obj(required: tuple[str, ...] = (), /, **properties: Any) -> dict[str, Any]:
    """An object schema; a property of any name (``from``, ``zh-CN``) can be passed as ``**{name: schema}``."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema that admits no property it does not name."""
    return {**schema, "additionalProperties": False}


def listing(key: str, item: str) -> dict[str, Any]:
    return obj((key,), **{key: array(ref(item))})


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
MONEY = {"type": ["string", "number"], "description": "A decimal amount; sent as a string it stays exact."}
ANY_OBJECT = {"type": "object"}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        ("error",),
        error={"type": "string", "description": "What went wrong, in plain words."},
        errors=array(ref("FieldError")),
    ),
    "FieldError": obj(("field", "message"), field=STRING, message=STRING),
    "Event": obj(
        ("id", "type", "rep"),
        id={"type": "string", "maxLength": 128, "description": "Idempotency key, unique per source."},
        type={"type": "string", "examples": ["deal.won", "deal.reversed", "deal.updated", "call.logged"]},
        rep=STRING,
        amount=MONEY,
        currency={"type": "string", "pattern": "^[A-Z]{3}$"},
        category=STRING,
        occurred_at={**TIME, "description": "RFC 3339 with an offset; default: now."},
        ref={"type": "string", "description": "For deal.reversed / deal.updated: the original event id."},
        customer=STRING,
        new_customer=BOOLEAN,
        attrs=ANY_OBJECT,
    ),
    "IngestResult": obj(
        ("accepted", "duplicates", "rejected"),
        accepted=INTEGER,
        duplicates=INTEGER,
        rejected=array(obj(("index", "error"), index=INTEGER, error=STRING, errors=array(ref("FieldError")))),
        late=array(obj(index=INTEGER, id=STRING, contests=array(STRING))),
        warnings=array(obj(id=STRING, error=STRING)),
    ),
    "Rule": obj(
        ("on",),
        on=STRING,
        points=INTEGER,
        points_per=MONEY,
        category=STRING,
        min_amount=MONEY,
        new_customer_only=BOOLEAN,
        multipliers=ANY_OBJECT,
        cap_per_day=INTEGER,
    ),
    "ContestDefinition": obj(
        ("id", "name", "starts_at", "ends_at", "rules"),
        id=STRING,
        name=STRING,
        kind={"type": "string", "examples": ["individual", "team", "race", "head_to_head"]},
        starts_at=TIME,
        ends_at=TIME,
        timezone=STRING,
        currency=STRING,
        team_score={"type": "string", "examples": ["sum", "average", "best:3"]},
        teams=array(STRING),
        reps=array(STRING),
        multipliers=ANY_OBJECT,
        rules=array(ref("Rule")),
        scoring={"type": "string", "enum": ["points", "percent_of_target"]},
        targets={"type": "object", "additionalProperties": INTEGER},
        default_target=INTEGER,
        target=INTEGER,
        goal=INTEGER,
        divisions={"type": "object", "additionalProperties": array(STRING)},
        prizes=array(ANY_OBJECT),
        recurrence={"type": ["string", "null"], "enum": ["monthly", "weekly", None]},
        grace_hours=INTEGER,
        draft=BOOLEAN,
    ),
    "Contest": {
        "allOf": [
            ref("ContestDefinition"),
            obj(
                ("status", "version", "epoch"),
                status={"type": "string", "enum": ["draft", "scheduled", "live", "paused", "ended", "archived"]},
                version=INTEGER,
                epoch=INTEGER,
            ),
        ]
    },
    "ContestChange": obj(id=STRING, version=INTEGER, rescore={"type": ["string", "null"]}, ends_at=TIME),
    "RescoreStatus": obj(id=STRING, epoch=INTEGER, state=STRING, done=INTEGER, total=INTEGER),
    "LeaderboardRow": obj(
        ("rank", "id", "name", "score"),
        rank={"type": "integer", "description": "Standard competition rank (1, 2, 2, 4)."},
        id=STRING,
        name={"type": "string", "description": "Initials for reps who opted out, on public screens."},
        team=NULLABLE_STRING,
        score=INTEGER,
        percent={"type": "number", "description": "Percent-of-target contests: percent of the target."},
    ),
    "Leaderboard": obj(
        ("contest", "board", "epoch", "seq", "rows"),
        contest=STRING,
        board=STRING,
        epoch=INTEGER,
        seq=INTEGER,
        total=INTEGER,
        rows=array(ref("LeaderboardRow")),
    ),
    "Standing": obj(
        contest=STRING,
        rep=STRING,
        rank=INTEGER,
        score=INTEGER,
        points=INTEGER,
        of=INTEGER,
        gap_to_next={"type": ["integer", "null"]},
        pace={
            "oneOf": [
                {"type": "null"},
                obj(
                    target=INTEGER,
                    percent={"type": "number"},
                    expected_percent={"type": "number"},
                    status={"type": "string", "enum": ["reached", "on_track", "behind"]},
                    days_left={"type": "number"},
                ),
            ]
        },
    ),
    "Results": obj(
        ("contest", "final", "champion", "standings"),
        contest=STRING,
        final=BOOLEAN,
        finalized_at=TIME,
        champion=NULLABLE_STRING,
        best_team=NULLABLE_STRING,
        standings=array(obj(rank=INTEGER, id=STRING, name=STRING, team=NULLABLE_STRING, score=INTEGER)),
        teams=array(obj(rank=INTEGER, id=STRING, name=STRING, score=INTEGER)),
        prizes=array(obj(id=STRING, prize=STRING, rank=INTEGER, board=STRING)),
        finishes={"type": "object", "additionalProperties": INTEGER},
    ),
    "Team": obj(("id", "name"), id=STRING, name=STRING, color=STRING),
    "TeamInput": obj(("name",), name={"type": "string", "maxLength": 80}, color={"type": "string"}),
    "Rep": obj(
        ("id", "name"),
        id=STRING,
        name=STRING,
        team=NULLABLE_STRING,
        active=BOOLEAN,
        opted_out=BOOLEAN,
        aliases={"type": "object", "additionalProperties": STRING},
    ),
    "RepInput": obj(
        ("name",),
        name={"type": "string", "maxLength": 80},
        team=NULLABLE_STRING,
        active=BOOLEAN,
        opted_out=BOOLEAN,
        aliases={"type": "object", "additionalProperties": STRING, "description": "connector id → CRM user id"},
    ),
    "Slide": obj(
        board={"type": ["string", "null"], "examples": ["contest:2026-12", "contest:2026-12:teams", "xp:month"]},
        kind={"type": "string", "enum": ["board", "teams", "tug", "thermometer", "wins", "badges", "stars"]},
        seconds={"type": "integer", "minimum": 5, "maximum": 600},
    ),
    "DisplayInput": obj(
        ("name", "playlist"),
        name=STRING,
        playlist=array({"oneOf": [STRING, ref("Slide")]}),
        locale={"type": ["string", "null"], "enum": ["zh-CN", "en", None]},
        sound=BOOLEAN,
        big_deal={"type": ["integer", "null"]},
    ),
    "Display": obj(
        ("id", "name", "playlist"),
        id=STRING,
        name=STRING,
        playlist=array(STRING),
        slides=array(ref("Slide")),
        locale=NULLABLE_STRING,
        sound=BOOLEAN,
        big_deal={"type": ["integer", "null"]},
        created_by=NULLABLE_STRING,
        created_at=TIME,
        updated_at=TIME,
        token={"type": "string", "description": "Only when created or rotated: shown once."},
        url={"type": "string", "description": "The TV URL, only with the token."},
    ),
    "ConnectorInput": obj(
        ("type", "name", "config"),
        type={"type": "string", "enum": ["hubspot", "salesforce", "pipedrive", "zoho", "generic"]},
        name=STRING,
        config={"type": "object", "description": "Per CRM: see docs/integrations/."},
    ),
    "Connector": obj(
        ("id", "type", "name", "url"),
        id=STRING,
        type=STRING,
        name=STRING,
        url={"type": "string", "description": "The webhook URL to paste into the CRM."},
        config=ANY_OBJECT,
        secrets=array(STRING),
        created_at=TIME,
    ),
    "LedgerEntry": obj(event=STRING, type=STRING, occurred_at=TIME, rule_version=INTEGER, points=INTEGER, note=STRING),
    "LedgerPage": obj(
        ("rep", "contest", "total", "entries"),
        rep=STRING,
        contest=STRING,
        total=INTEGER,
        entries=array(ref("LedgerEntry")),
        next_cursor=NULLABLE_STRING,
    ),
    "BadgeAward": obj(badge=STRING, name=STRING, period=STRING, awarded_at=TIME, basis=array(STRING), contest=STRING),
    "Profile": obj(
        ("rep", "name", "xp", "level", "badges"),
        rep=STRING,
        name=STRING,
        team=NULLABLE_STRING,
        xp={"type": "object", "additionalProperties": INTEGER},
        level=obj(number=INTEGER, name=STRING, name_zh=STRING, name_en=STRING, next_at={"type": ["integer", "null"]}),
        badges=array(ref("BadgeAward")),
    ),
    "XpBoard": obj(("board", "period", "rows"), board=STRING, period=STRING, rows=array(ref("LeaderboardRow"))),
    "BadgeDefinition": obj(
        ("id", "kind"),
        id=STRING,
        kind=STRING,
        period=STRING,
        name=obj(**{"zh-CN": STRING, "en": STRING}),
    ),
    "User": obj(
        ("username", "role"),
        username=STRING,
        role={"type": "string", "enum": ["admin", "manager", "rep"]},
        name=STRING,
        rep=NULLABLE_STRING,
        teams=array(STRING),
        active=BOOLEAN,
        locale=NULLABLE_STRING,
        has_password=BOOLEAN,
    ),
    "UserInput": obj(
        role={"type": "string", "enum": ["admin", "manager", "rep"]},
        name=STRING,
        rep=NULLABLE_STRING,
        teams=array(STRING),
        password={"type": "string", "minLength": 8},
        active=BOOLEAN,
        locale=NULLABLE_STRING,
    ),
    "ApiKey": obj(
        ("id", "scope", "name"),
        id=STRING,
        scope={"type": "string", "enum": ["admin", "ingest", "read"]},
        name=STRING,
        created_at=NULLABLE_STRING,
        created_by=NULLABLE_STRING,
        key={"type": "string", "description": "Only in the answer to POST: shown once."},
    ),
    "Challenge": obj(
        id=STRING,
        challenger=STRING,
        opponent=STRING,
        challenger_name=STRING,
        opponent_name=STRING,
        days=INTEGER,
        metric={"type": "string", "enum": ["revenue", "deals", "new_customers", "calls"]},
        status={"type": "string", "enum": ["pending", "accepted", "declined", "cancelled", "expired"]},
        created_at=TIME,
        expires_at=TIME,
        contest=NULLABLE_STRING,
    ),
    "AuditEntry": obj(id=STRING, at=TIME, actor=STRING, action=STRING, target=STRING, data={}),
    "NotificationChannelInput": closed(
        obj(
            ("type", "name", "url"),
            type={"type": "string", "enum": ["wecom", "dingtalk", "feishu", "slack", "teams"]},
            name={"type": "string", "maxLength": 80},
            url={"type": "string", "description": "The webhook URL (https). Sealed at rest, never shown again."},
            secret={"type": "string", "description": "DingTalk or Feishu signing secret. Sealed, never shown again."},
            contests={"type": ["array", "null"], "items": STRING, "description": "null: every contest."},
            events=array({"type": "string", "enum": ["deal", "badge", "lead_change", "contest_won", "digest"]}),
            min_amount=MONEY,
            locale={"type": ["string", "null"], "enum": ["zh-CN", "en", None]},
            digest=obj(
                daily={"type": "string", "examples": ["18:00"]}, weekly={"type": "string", "examples": ["fri 18:00"]}
            ),
            rate_per_minute={"type": "integer", "minimum": 1},
            card={"type": "string", "enum": ["adaptive", "messagecard"], "description": "Teams only."},
            max_attempts={"type": "integer", "minimum": 1, "maximum": 10},
        )
    ),
    "NotificationChannel": obj(
        ("id", "type", "name", "host", "has_secret", "events"),
        id=STRING,
        type=STRING,
        name=STRING,
        host={"type": "string", "description": "The webhook's host; the URL itself is never shown."},
        has_secret=BOOLEAN,
        contests={"type": ["array", "null"], "items": STRING},
        events=array(STRING),
        min_amount=NULLABLE_STRING,
        locale=NULLABLE_STRING,
        digest={"type": ["object", "null"]},
        rate_per_minute=INTEGER,
        card=NULLABLE_STRING,
        max_attempts=INTEGER,
        created_at=TIME,
        delivery=obj(
            waiting=INTEGER,
            attempts=INTEGER,
            next_attempt_at={"type": ["string", "null"], "format": "date-time"},
            last_success_at={"type": ["string", "null"], "format": "date-time"},
            last_error=NULLABLE_STRING,
            last_error_at={"type": ["string", "null"], "format": "date-time"},
            dropped=INTEGER,
        ),
    ),
    "DeadLetter": obj(
        ("id", "channel", "kind", "error", "attempts", "failed_at"),
        id=STRING,
        channel=STRING,
        channel_name=STRING,
        channel_type=STRING,
        kind={"type": "string", "enum": ["deal", "badge", "lead_change", "contest_won", "digest"]},
        summary={"type": "string", "description": "The message's title in the workspace's language."},
        notification=ANY_OBJECT,
        error=STRING,
        attempts=INTEGER,
        failed_at=TIME,
    ),
}


@dataclass(frozen=True)
class Op:
    summary: str
    tag: str
    auth: str = "admin"
    body: str | dict[str, Any] | None = None
    response: str | dict[str, Any] | None = None
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    body_media: tuple[str, ...] = ("application/json",)
    response_media: str = "application/json"
    body_required: bool = True
    upsert: bool = False  # a PUT that answers 201 when it created the resource, 200 when it changed it


def _schema(value: str | dict[str, Any]) -> dict[str, Any]:
    return ref(value) if isinstance(value, str) else value


LIMIT = ("limit", "Rows or entries to return (1–500).")
CONTESTS = listing("contests", "Contest")

OPERATIONS: dict[str, dict[str, Op]] = {
    "/api/v1/openapi.json": {"get": Op("This document", "meta", "public", response=ANY_OBJECT)},
    "/api/v1/events": {
        "post": Op(
            "Post one event or a batch (≤ 1,000; JSON or msgpack)",
            "events",
            "ingest",
            body={"oneOf": [ref("Event"), array(ref("Event"))]},
            response="IngestResult",
            body_media=("application/json", "application/msgpack"),
        )
    },
    "/api/v1/events/import": {
        "post": Op(
            "Historical deals from a CSV file (id, rep, amount, occurred_at, …), idempotent by id",
            "events",
            "ingest",
            body={"type": "string", "description": "CSV with a header row"},
            response=ANY_OBJECT,
            query=(("dry_run", "1: check every row and write nothing"),),
            body_media=("text/csv", "application/json"),
        )
    },
    "/api/v1/contests": {
        "get": Op("List contests with their status", "contests", "read", response=CONTESTS),
        "post": Op(
            "Create a contest (rules frozen once created)", "contests", "manage", "ContestDefinition", "Contest", 201
        ),
    },
    "/api/v1/contests/preview": {
        "post": Op(
            "Check a draft definition and describe its rules in both languages (nothing stored)",
            "contests",
            "manage",
            {"type": "object", "description": "A draft ContestDefinition, complete or not: its problems are listed."},
            obj(valid=BOOLEAN, errors=array(ref("FieldError")), rules=ANY_OBJECT),
        )
    },
    "/api/v1/contests/{id}": {
        "get": Op("One contest", "contests", "read", response="Contest"),
        "put": Op(
            "A new definition: a new version and a rescore (202; a draft is replaced)",
            "contests",
            "manage",
            "ContestDefinition",
            "ContestChange",
            202,
        ),
    },
    "/api/v1/contests/{id}/{action}": {
        "post": Op(
            "launch, pause, resume, end, archive, clone (body: the new id and changes) or rescore",
            "contests",
            "manage",
            body=ANY_OBJECT,
            response="Contest",
            body_required=False,
        )
    },
    "/api/v1/contests/{id}/rescore": {"get": Op("Rescore progress", "contests", "manage", response="RescoreStatus")},
    "/api/v1/contests/{id}/leaderboard": {
        "get": Op(
            "The rep board",
            "boards",
            "read",
            response="Leaderboard",
            query=(LIMIT, ("around", "A rep id: the rows around that rep.")),
        )
    },
    "/api/v1/contests/{id}/teams": {
        "get": Op("The team board", "boards", "read", response="Leaderboard", query=(LIMIT, ("around", "A team id.")))
    },
    "/api/v1/contests/{id}/divisions/{division}": {
        "get": Op("A division's board", "boards", "read", response="Leaderboard", query=(LIMIT,))
    },
    "/api/v1/contests/{id}/reps/{rep}": {
        "get": Op("A rep's rank, score, gap to the next rank and pace", "boards", "people", response="Standing")
    },
    "/api/v1/contests/{id}/results": {
        "get": Op(
            "Standings, champion, best team and prizes (final once closed)", "contests", "people", response="Results"
        )
    },
    "/api/v1/contests/{id}/results.csv": {
        "get": Op(
            "The results as CSV (UTF-8 with BOM)", "contests", "people", response=STRING, response_media="text/csv"
        )
    },
    "/api/v1/contests/simulate": {
        "post": Op(
            "Replay logged events through one draft (definition) or compare up to four (definitions); "
            "nothing is written (docs/insights.md)",
            "insights",
            "manage",
            obj(
                definition=ref("ContestDefinition"),
                definitions=array(ref("ContestDefinition")),
                **{"from": TIME, "to": TIME},
                samples=INTEGER,
                seed=INTEGER,
            ),
            ANY_OBJECT,
        )
    },
    "/api/v1/contests/prepare": {
        "post": Op(
            "Turn improvement scoring and leagues into a live definition (targets, divisions)",
            "insights",
            "manage",
            "ContestDefinition",
            obj(("definition",), definition=ref("ContestDefinition")),
        )
    },
    "/api/v1/contests/{id}/lift": {
        "get": Op(
            "The contest against a baseline period: KPIs per participant, team and rep",
            "insights",
            "manage",
            response=obj(contest=STRING, kpis=array(ANY_OBJECT)),
            query=(("baseline_from", "Start of the baseline (with baseline_to)."), ("baseline_to", "Its end.")),
        )
    },
    "/api/v1/contests/{id}/lift.csv": {
        "get": Op(
            "The lift report as CSV (UTF-8 with BOM)",
            "insights",
            "manage",
            response=STRING,
            query=(("baseline_from", "Start of the baseline."), ("baseline_to", "Its end.")),
            response_media="text/csv",
        )
    },
    "/api/v1/contests/{id}/flags": {
        "get": Op(
            "Anti-gaming flags of a contest",
            "insights",
            "manage",
            response=obj(contest=STRING, flags=array(ANY_OBJECT)),
            query=(("threshold", "An amount; repeat for several."),),
        )
    },
    "/api/v1/flags/{id}/decision": {
        "post": Op(
            "Dismiss a flag or reverse the flagged deal",
            "insights",
            "manage",
            obj(("decision",), decision={"type": "string", "enum": ["dismiss", "reverse"]}, note=STRING),
            ANY_OBJECT,
        )
    },
    "/api/v1/audit": {
        "get": Op(
            "Who changed what and when",
            "contests",
            "manage",
            response=listing("entries", "AuditEntry"),
            query=(("target", "A contest, rep or team id."),),
        )
    },
    "/api/v1/teams": {"get": Op("List teams", "directory", "manage", response=listing("teams", "Team"))},
    "/api/v1/teams/{id}": {
        "put": Op("Create or change a team", "directory", "manage", "TeamInput", "Team", upsert=True)
    },
    "/api/v1/reps": {"get": Op("List reps", "directory", "manage", response=listing("reps", "Rep"))},
    "/api/v1/reps/{id}": {"put": Op("Create or change a rep", "directory", "manage", "RepInput", "Rep", upsert=True)},
    "/api/v1/reps/import": {
        "post": Op(
            "Import reps from CSV (id,name,team[,opted_out][,active]); ?dry_run=1 only checks",
            "directory",
            "manage",
            body=STRING,
            response=obj(dry_run=BOOLEAN, rows=array(ANY_OBJECT), valid=INTEGER, invalid=INTEGER, imported=INTEGER),
            query=(("dry_run", "1 to check without storing."),),
            body_media=("text/csv", "application/json"),
        )
    },
    "/api/v1/reps/{id}/ledger": {
        "get": Op(
            "Every event that changed the rep's score, and why",
            "reps",
            "people",
            response="LedgerPage",
            query=(("contest", "The contest id (required)."), LIMIT, ("cursor", "next_cursor of the last page.")),
        )
    },
    "/api/v1/reps/{id}/profile": {"get": Op("XP per window, level and badges", "reps", "people", response="Profile")},
    "/api/v1/xp/{window}": {
        "get": Op(
            "An XP board: day, week, month, quarter or all",
            "boards",
            "read",
            response="XpBoard",
            query=(("period", "e.g. 2026-W47; default: the current one."), LIMIT),
        )
    },
    "/api/v1/badges": {"get": Op("Badge definitions", "badges", "read", response=listing("badges", "BadgeDefinition"))},
    "/api/v1/badges/{id}": {"put": Op("Define or change a badge", "badges", "admin", ANY_OBJECT, ANY_OBJECT)},
    "/api/v1/wall/badges": {
        "get": Op(
            "The latest badges awarded (the badge wall)", "badges", "read", response=obj(badges=array(ANY_OBJECT))
        )
    },
    "/api/v1/displays": {
        "get": Op("List displays (TVs)", "displays", "manage", response=listing("displays", "Display")),
        "post": Op(
            "Create a display: its token and TV URL are shown once",
            "displays",
            "manage",
            "DisplayInput",
            "Display",
            201,
        ),
    },
    "/api/v1/displays/{id}": {
        "get": Op("One display", "displays", "manage", response="Display"),
        "put": Op("Change slides, language, sound", "displays", "manage", "DisplayInput", "Display"),
        "delete": Op("Revoke a display", "displays", "manage", status=204),
    },
    "/api/v1/displays/{id}/rotate": {
        "post": Op("A new token (the old one stops working)", "displays", "manage", response="Display")
    },
    "/api/v1/connectors": {
        "get": Op("List CRM connectors", "connectors", response=listing("connectors", "Connector")),
        "post": Op(
            "Create a CRM connector",
            "connectors",
            body="ConnectorInput",
            response=obj(("id", "url"), id=STRING, url=STRING),
            status=201,
        ),
    },
    "/api/v1/connectors/{id}": {
        "get": Op("One connector (secrets are never shown)", "connectors", response="Connector"),
        "delete": Op("Delete a connector", "connectors", status=204),
    },
    "/api/v1/connectors/{id}/unmapped": {
        "get": Op(
            "CRM users whose events wait for a rep alias",
            "connectors",
            response=obj(connector=STRING, owners=array(ANY_OBJECT)),
        )
    },
    "/hooks/{source}/{id}": {
        "post": Op(
            "A CRM's webhook delivery (hubspot, salesforce, pipedrive, zoho, generic)",
            "connectors",
            "hook",
            body=ANY_OBJECT,
            response=ANY_OBJECT,
        )
    },
    "/api/v1/users": {"get": Op("Console users", "users", "manage", response=listing("users", "User"))},
    "/api/v1/users/{username}": {
        "put": Op("Create or change a user", "users", body="UserInput", response="User", upsert=True)
    },
    "/api/v1/users/{username}/signin-link": {
        "post": Op(
            "A one-time sign-in link (15 minutes)",
            "users",
            "manage",
            response=obj(url=STRING, expires_at=TIME),
            status=201,
        )
    },
    "/api/v1/me": {
        "get": Op("The signed-in user", "users", "session", response="User"),
        "put": Op(
            "Change language or password",
            "users",
            "session",
            obj(locale=NULLABLE_STRING, password=STRING, current_password=STRING),
            "User",
        ),
    },
    "/api/v1/keys": {
        "get": Op("API keys (never the keys themselves)", "keys", response=listing("keys", "ApiKey")),
        "post": Op(
            "Create an API key: shown once",
            "keys",
            body=obj(("scope", "name"), scope=STRING, name=STRING),
            response="ApiKey",
            status=201,
        ),
    },
    "/api/v1/keys/{id}": {"delete": Op("Revoke an API key", "keys", status=204)},
    "/api/v1/challenges": {
        "get": Op(
            "A rep's challenges (managers: their teams')",
            "challenges",
            "rep",
            response=listing("challenges", "Challenge"),
        ),
        "post": Op(
            "Challenge a colleague",
            "challenges",
            "rep",
            obj(("opponent",), opponent=STRING, days=INTEGER, metric=STRING),
            "Challenge",
            201,
        ),
    },
    "/api/v1/challenges/{id}/{action}": {
        "post": Op("accept, decline or cancel a challenge", "challenges", "rep", response="Challenge")
    },
    "/api/v1/notifications/channels": {
        "get": Op(
            "Chat channels with their delivery state",
            "notifications",
            response=listing("channels", "NotificationChannel"),
        ),
        "post": Op(
            "Add a chat channel (WeCom, DingTalk, Feishu, Slack, Teams)",
            "notifications",
            body="NotificationChannelInput",
            response="NotificationChannel",
            status=201,
        ),
    },
    "/api/v1/notifications/channels/{id}": {
        "get": Op("One chat channel", "notifications", response="NotificationChannel"),
        "put": Op(
            "Change a chat channel (url and secret may be left out to keep them; its queue stays)",
            "notifications",
            body="NotificationChannelInput",
            response="NotificationChannel",
        ),
        "delete": Op("Delete a chat channel and what waits for it", "notifications", status=204),
    },
    "/api/v1/notifications/channels/{id}/test": {
        "post": Op(
            "Send a test message now (502 when the chat refuses it)",
            "notifications",
            response=obj(ok=BOOLEAN, status=INTEGER),
        )
    },
    "/api/v1/notifications/dead-letters": {
        "get": Op(
            "Notifications a chat kept refusing, newest first",
            "notifications",
            response=listing("dead_letters", "DeadLetter"),
            query=(("channel", "Only this channel."),),
        )
    },
    "/api/v1/notifications/dead-letters/{id}/retry": {
        "post": Op(
            "Queue a dead letter again",
            "notifications",
            response=obj(id=STRING, channel=STRING, queued=BOOLEAN),
            status=202,
        )
    },
    "/api/v1/notifications/dead-letters/{id}": {"delete": Op("Discard a dead letter", "notifications", status=204)},
}

SAFE = ("get", "head")


def _security(auth: str, method: str) -> list[dict[str, list[str]]]:
    if auth in ("public", "hook"):
        return []
    session: dict[str, list[str]] = {"session": [], "csrf": []} if method not in SAFE else {"session": []}
    if auth == "session":
        return [session]
    if auth == "ingest":
        return [{"bearer": []}]
    return [{"bearer": []}, session]


def _operation(path: str, method: str, op: Op) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": STRING} for name in PATH_PARAMETER.findall(path)
    ]
    parameters += [{"name": name, "in": "query", "schema": STRING, "description": text} for name, text in op.query]
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done; no body."}
    else:
        schema = _schema(op.response) if op.response is not None else ANY_OBJECT
        description = {200: "OK", 201: "Created", 202: "Accepted"}.get(op.status, "OK")
        responses[str(op.status)] = {"description": description, "content": {op.response_media: {"schema": schema}}}
        if op.upsert:
            responses["201"] = {"description": "Created", "content": {op.response_media: {"schema": schema}}}
    responses["4XX"] = {"$ref": "#/components/responses/Error"}
    operation: dict[str, Any] = {
        "operationId": f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}",
        "summary": op.summary,
        "description": AUTH[op.auth],
        "tags": [op.tag],
        "security": _security(op.auth, method),
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        content = {media: {"schema": _schema(op.body)} for media in op.body_media}
        if "text/csv" in content and "application/json" in content:
            content["application/json"] = {"schema": obj(("csv",), csv=STRING)}
        operation["requestBody"] = {"required": op.body_required, "content": content}
    return operation


def document(base_url: str = "") -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths = {
        path: {method: _operation(path, method, op) for method, op in sorted(methods.items())}
        for path, methods in sorted(OPERATIONS.items())
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sales Arena 销售竞技场",
            "version": VERSION,
            "description": "Real-time sales competitions. Management calls take `Authorization: Bearer <key>` "
            "(or a console session with its CSRF token); every error is a 4xx with "
            '`{"error": "...", "errors": [{"field", "message"}]}`. The websocket `/ws` is described in '
            "docs/protocol.md.",
        },
        **({"servers": [{"url": base_url}]} if base_url else {}),
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "Error": {
                    "description": "A client error: 400 malformed, 401 no credentials, 403 not allowed, 404 unknown, "
                    "409 conflict, 413 too large, 422 invalid (with errors per field), 429 too many.",
                    "content": {"application/json": {"schema": ref("Error")}},
                }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (admin, ingest or read scope) or a display token.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "arena_session",
                    "description": "The console's signed session cookie (sign in at /login).",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "With a session cookie, every unsafe request carries the session's CSRF token.",
                },
            },
        },
    }


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(document(arena_of(request).settings.base_url))


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
