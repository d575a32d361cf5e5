"""The audit log page (``/admin/audit``): who changed what and when, newest first, narrowed by who, action,
target and days, with every action in words. A manager sees the entries about their own contests, teams and
reps; an admin sees all."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.http import arena_of
from server.i18n.audit_actions import action_names
from server.services.audit_filter import page as audit_page
from server.services.audit_filter import parse_filter
from server.web.console import console_context, console_user
from server.web.render import page, request_locale

MAX_DETAIL = 1500  # characters of an entry's data shown under it


def _detail(data: str | None) -> str:
    if not data:
        return ""
    try:
        shown = json.dumps(json.loads(data), ensure_ascii=False, indent=1, default=str)
    except ValueError:
        shown = data
    return shown if len(shown) <= MAX_DETAIL else shown[:MAX_DETAIL] + "…"


async def audit_log_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    snapshot = context["snapshot"]
    wanted, refused = parse_filter(request.query_params, arena.settings.zone)
    contests = {c.id for c in snapshot.contests.values() if principal.manages_contest(c, snapshot.directory)}
    teams = {t.id for t in context["teams"]}
    reps = {r.id for r in context["reps"]}

    def visible(entry: dict[str, Any]) -> bool:
        target = entry.get("target")
        in_scope = principal.role == "admin" or target in contests or target in teams or target in reps
        return in_scope and wanted.matches(entry)

    before = request.query_params.get("before") or None
    entries, older = await audit_page(arena.audit.older, visible, before)
    names = action_names(request_locale(request))
    directory = snapshot.directory
    target_names = (
        {b.id: b.name(request_locale(request)) for b in snapshot.badges}
        | {t.id: t.name for t in directory.teams.values()}
        | {r.id: r.name for r in directory.reps.values()}
        | {c.id: c.name for c in snapshot.contests.values()}
    )
    rows = [
        {
            **entry,
            "name": names.get(entry.get("action", ""), entry.get("action", "")),
            "detail": _detail(entry.get("data")),
            "target_name": target_names.get(entry.get("target", "")),
            "contest": entry.get("target") if entry.get("target") in snapshot.contests else None,
        }
        for entry in entries
    ]
    query = {k: v for k, v in request.query_params.items() if k != "before" and v}
    return page(
        request,
        "console/audit.html",
        section="audit",
        entries=rows,
        older=older,
        query=query,
        filters=request.query_params,
        refused=refused,
        action_choices=sorted(names.items(), key=lambda item: item[1]),
        first_page=before is None,
        **context,
    )


routes = [Route("/admin/audit", audit_log_page, methods=["GET"])]
