"""The managers' console (``/admin``; its home, the dashboard, is ``server/web/dashboard.py``): contests (wizard
with templates, lifecycle, results, audit), displays, users and API keys; teams and reps are
``server/web/people.py``.

Pages are rendered here with what the signed-in user may see; every change goes through the JSON API from
the page's script with the session cookie and its CSRF token, so the console can do nothing the API would
not allow the same user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from game.awards import AWARD_KINDS, DEFAULT_TITLES, MAX_TITLE
from game.rewards import MAX_POINTS
from server.auth.principals import Principal
from server.http import MAX_BODY_BYTES, MAX_CSV_UPLOAD_BYTES, arena_of, principal_of
from server.i18n import rules_text
from server.i18n.audit_actions import action_names
from server.i18n.catalogs import gettext_for
from server.services.contests import contest_summary
from server.services.displays import SLIDE_KINDS, public_view
from server.services.disputes import visible
from server.services.rep_listing import listed, rep_index
from server.web.contest_versions import EVENT_TYPES, versions_view
from server.web.display_editor import slide_choices
from server.web.render import page, request_locale


async def console_user(request: Request) -> Principal | Response:
    """The console's signed-in user, or where anyone else goes: the sign-in page, or a rep to the phone."""
    principal = await principal_of(request)
    if principal is None or not principal.via_session:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if principal.role == "rep":
        return RedirectResponse("/m", status_code=303)
    return principal


def _month(now: datetime, months_ahead: int) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months_ahead):
        start = (start + timedelta(days=32)).replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def periods(zone: Any) -> dict[str, list[str]]:
    """Ready-made schedules in the organisation's time zone (the wizard's defaults)."""
    now = datetime.now(zone)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    out = {
        "last_month": _month(_month(now, 0)[0] - timedelta(days=1), 0),  # what the simulator replays
        "this_month": _month(now, 0),
        "next_month": _month(now, 1),
        "this_week": (monday, monday + timedelta(days=7)),
        "next_week": (monday + timedelta(days=7), monday + timedelta(days=14)),
        "two_weeks": (today, today + timedelta(days=14)),
    }
    return {name: [start.isoformat(), end.isoformat()] for name, (start, end) in out.items()}


def templates(locale: str) -> list[dict[str, Any]]:
    """The wizard's contest templates: rules, schedule and prizes a manager starts from."""
    tr = gettext_for(locale)
    return [
        {
            "key": "monthly",
            "name": tr.gettext("Monthly revenue race (月度销冠赛)"),
            "blurb": tr.gettext("Revenue points, a new-customer bonus and capped calls for the whole month."),
            "period": "this_month",
            "definition": {
                "kind": "individual",
                "team_score": "sum",
                "multipliers": {"category": {"high_margin": 1.5}},
                "rules": [
                    {"on": "deal.won", "points_per": 1000},
                    {"on": "deal.won", "points": 20, "new_customer_only": True},
                    {"on": "call.logged", "points": 1, "cap_per_day": 40},
                ],
                "prizes": [
                    {"rank": 1, "prize": tr.gettext("Monthly top seller: ¥5,000 bonus")},
                    {"rank": [2, 3], "prize": tr.gettext("¥2,000 bonus")},
                    {"rank": 1, "board": "teams", "prize": tr.gettext("Best team: team dinner")},
                ],
            },
        },
        {
            "key": "team_battle",
            "name": tr.gettext("Team battle (团队PK)"),
            "blurb": tr.gettext("Teams race on revenue; the average per member keeps small teams in it."),
            "period": "two_weeks",
            "definition": {
                "kind": "team",
                "team_score": "average",
                "rules": [{"on": "deal.won", "points_per": 1000}],
                "prizes": [{"rank": 1, "board": "teams", "prize": tr.gettext("Best team: team dinner")}],
            },
        },
        {
            "key": "new_logo",
            "name": tr.gettext("New-logo sprint"),
            "blurb": tr.gettext("Only first deals with new customers count."),
            "period": "two_weeks",
            "definition": {
                "kind": "individual",
                "rules": [{"on": "deal.won", "points": 10, "new_customer_only": True}],
                "prizes": [{"rank": 1, "prize": tr.gettext("New-logo hunter: ¥3,000 bonus")}],
            },
        },
        {
            "key": "call_blitz",
            "name": tr.gettext("Call blitz"),
            "blurb": tr.gettext("A week of calls and meetings, capped per day so quality beats spam."),
            "period": "this_week",
            "definition": {
                "kind": "individual",
                "rules": [
                    {"on": "call.logged", "points": 1, "cap_per_day": 60},
                    {"on": "meeting.held", "points": 5, "cap_per_day": 50},
                ],
                "prizes": [{"threshold": 200, "prize": tr.gettext("Everyone over 200 points: coffee voucher")}],
            },
        },
        {
            "key": "smart_goal",
            "name": tr.gettext("SMART goal race"),
            "blurb": tr.gettext("First to the target wins; the thermometer shows the pace."),
            "period": "this_month",
            "definition": {
                "kind": "race",
                "target": 500,
                "rules": [{"on": "deal.won", "points_per": 1000}],
                "prizes": [{"rank": 1, "prize": tr.gettext("First to the target: ¥3,000 bonus")}],
            },
        },
    ]


async def console_context(request: Request, principal: Principal) -> dict[str, Any]:
    """What every console page renders with: the user, the snapshot, and the teams and reps they manage."""
    snapshot = await arena_of(request).registry.current()
    directory = snapshot.directory
    teams = sorted((t for t in directory.teams.values() if principal.manages_team(t.id)), key=lambda t: t.id)
    # ordered once per directory change, not per page (a directory can hold 50,000 reps)
    reps = listed(rep_index(directory).of_teams(None if principal.role == "admin" else principal.teams), "")
    return {"principal": principal, "snapshot": snapshot, "teams": teams, "reps": reps, "now": datetime.now(UTC)}


async def contests_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    snapshot = context["snapshot"]
    directory = snapshot.directory
    contests = sorted(
        (c for c in snapshot.contests.values() if principal.sees_contest(c, directory)),
        key=lambda c: c.starts_at,
        reverse=True,
    )
    now = datetime.now(UTC)
    rows = [{**contest_summary(c, now), "view_only": not principal.manages_contest(c, directory)} for c in contests]
    waiting = len(await disputes_to_decide(request, principal, "open"))
    return page(
        request,
        "console/contests.html",
        section="contests",
        contests=rows,
        open_disputes=waiting,
        backfill_limit=MAX_CSV_UPLOAD_BYTES,
        **context,
    )


async def disputes_to_decide(request: Request, principal: Principal, status: str | None) -> list[dict[str, Any]]:
    """The disputes this user decides: their teams' reps' (an admin's: all)."""
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    stored = await arena.disputes.all()
    return visible(stored, lambda d: principal.may_resolve_dispute(d["rep"], directory), None, status)


async def disputes_page(request: Request) -> Response:
    """The disputes queue: open ones first, each with its line and a form to accept or reject it."""
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    snapshot = context["snapshot"]
    names = {r.id: r.name for r in snapshot.directory.reps.values()}
    contests = {c.id: c for c in snapshot.contests.values()}
    rows = []
    for dispute in await disputes_to_decide(request, principal, None):
        contest = contests.get(dispute["contest"])
        line = dispute.get("line")
        at = datetime.fromtimestamp(line["at"], UTC).isoformat() if line else None
        rows.append(
            {
                **dispute,
                "rep_name": names.get(dispute["rep"], dispute["rep"]),
                "contest_name": contest.name if contest else dispute["contest"],
                "line_at": at,
            }
        )
    waiting = sum(1 for row in rows if row["status"] == "open")
    return page(request, "console/disputes.html", section="disputes", disputes=rows, open_disputes=waiting, **context)


async def wizard_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    locale = request_locale(request)
    context = await console_context(request, principal)
    settings = arena_of(request).settings
    wizard = {
        "templates": templates(locale),
        "periods": periods(settings.zone),
        "teams": [{"id": t.id, "name": t.name, "color": t.color} for t in context["teams"]],
        "everyone": principal.role == "admin",
        "timezone": settings.timezone,
        "currency": settings.currency,
        "clone": None,
        # targets are matched in the page (by id or name) and sent inside the definition, within one body
        "reps": [{"id": r.id, "name": r.name, "team": r.team} for r in context["reps"] if r.active],
        "taken": sorted(c for c in context["snapshot"].contests if principal.may_read_contest(c)),
        "csv_limit": MAX_BODY_BYTES,
        "csv_limit_mb": MAX_BODY_BYTES // (1 << 20),
        "awards": [{"kind": kind, "name": DEFAULT_TITLES[kind][locale]} for kind in AWARD_KINDS],
        "award_title_max": MAX_TITLE,
        "reward_points_max": MAX_POINTS,
    }
    source = request.query_params.get("from")
    if source and source in context["snapshot"].contests:
        wizard["clone"] = context["snapshot"].contests[source].definition
    return page(request, "console/wizard.html", section="contests", wizard=wizard, **context)


async def contest_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    snapshot = context["snapshot"]
    contest = snapshot.contests.get(request.path_params["id"])
    if contest is None or not principal.sees_contest(contest, snapshot.directory):
        return page(request, "console/missing.html", status=404, section="contests", **context)
    arena = arena_of(request)
    summary = contest_summary(contest, datetime.now(UTC))
    # A manager sees a contest that also takes in other teams (a company-wide one) read only: its standings,
    # prizes, rules and charts, but not its controls, late events or audit log, which are an admin's.
    manages = principal.manages_contest(contest, snapshot.directory)
    stored = await arena.store.results(contest.id)
    results = stored if stored is not None else {**await arena.scheduler.results(contest), "final": False}
    names = {r.id: r.name for r in snapshot.directory.reps.values()}
    team_names = {t.id: t.name for t in snapshot.directory.teams.values()}
    for award in results.get("prizes", []):
        award["tied_names"] = [names.get(who) or team_names.get(who, who) for who in award.get("tied_with", [])]
    entries = []
    for item in await arena.audit.newest(count=2000) if manages else ():
        if item.get("target") == contest.id:
            entries.append(item)
        if len(entries) >= 30:
            break
    currency = contest.currency
    rules = {loc: rules_text.summary(contest.definition, loc, currency) for loc in ("zh-CN", "en")}
    document = await arena.registry.contest_document(contest.id)
    return page(
        request,
        "console/contest.html",
        section="contests",
        contest=summary,
        results=results,
        names=names,
        team_names=team_names,
        audit=entries,
        action_names=action_names(request_locale(request)),
        changes=versions_view(
            document or {"definition": contest.definition},
            request_locale(request),
            currency,
            arena.settings.timezone,
            (request.query_params.get("compare_from"), request.query_params.get("compare_to")),
        ),
        rule_editor={"definition": contest.definition, "event_types": EVENT_TYPES},
        rules=rules,
        late=await arena.late_events.listed(contest.id) if manages else [],
        manages=manages,
        own_reps={r["id"] for r in results["standings"][:50] if principal.manages_rep(r["id"], snapshot.directory)},
        **context,
    )


async def displays_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    snapshot = context["snapshot"]
    documents = await arena.displays.displays()
    displays = [
        public_view(d, arena.settings.base_url)
        for d in documents
        if principal.role == "admin" or d.get("created_by") == principal.name
    ]
    displays.sort(key=lambda d: d.get("created_at") or "")
    managed = [c for c in snapshot.contests.values() if principal.manages_contest(c, snapshot.directory)]
    editor = {"kinds": list(SLIDE_KINDS), **slide_choices(managed, datetime.now(UTC), snapshot.directory)}
    brand = await arena.brand.get()
    return page(
        request, "console/displays.html", section="displays", displays=displays, editor=editor, brand=brand, **context
    )


async def users_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    directory = context["snapshot"].directory
    users = []
    for record in await arena_of(request).accounts.users():
        rep = directory.reps.get(record.get("rep") or "")
        if principal.role == "admin" or (record.get("role") == "rep" and rep and principal.manages_team(rep.team)):
            shown = {k: v for k, v in record.items() if k != "password"}
            teams = [directory.teams[t].name if t in directory.teams else t for t in record.get("teams") or ()]
            scope = rep.name if rep else ", ".join(teams)  # people read names, not ids
            users.append({**shown, "has_password": bool(record.get("password")), "scope": scope})
    users.sort(key=lambda u: ({"admin": 0, "manager": 1, "rep": 2}.get(u["role"], 3), u["username"]))
    return page(request, "console/users.html", section="users", users=users, **context)


async def keys_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    if principal.role != "admin":
        return RedirectResponse("/admin", status_code=303)
    return page(request, "console/keys.html", section="keys", **await console_context(request, principal))


async def rates_page(request: Request) -> Response:
    """Monthly exchange rates (``server/api/exchange_rates.py`` does the work; the page is a form over it)."""
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    this_month = datetime.now(arena_of(request).settings.zone).strftime("%Y-%m")
    context = await console_context(request, principal)
    return page(request, "console/rates.html", section="rates", this_month=this_month, **context)


routes = [
    Route("/admin/contests", contests_page, methods=["GET"]),
    Route("/admin/contests/new", wizard_page, methods=["GET"]),
    Route("/admin/contests/{id}", contest_page, methods=["GET"]),
    Route("/admin/disputes", disputes_page, methods=["GET"]),
    Route("/admin/displays", displays_page, methods=["GET"]),
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/keys", keys_page, methods=["GET"]),
    Route("/admin/rates", rates_page, methods=["GET"]),
]
