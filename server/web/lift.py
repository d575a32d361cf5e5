"""The lift report page (``/admin/contests/{id}/lift``): the report (interim while the contest runs) with a
baseline-vs-contest chart (uPlot, vendored, with a table of the same numbers), server-rendered SVG bars, and the
contest's anti-gaming flags with a dismiss / reverse form each and the outcome of every decision.

Signed-in admins and managers (session cookie) may open it; so may an admin API key in ``?token=`` for now.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from server.auth.csrf import form_fields
from server.auth.principals import Principal
from server.http import ApiError, arena_of, baseline_period, managed_contest, principal_of
from server.services.insights import (
    contest_flags,
    contest_lift,
    decide_flag,
    flags_since,
    lift_since,
)
from server.web.lift_text import TEXT
from server.web.lift_view import change_bars, day_range, kpi_figures, pair_bars, period_days, slope_chart
from server.web.render import page, request_locale


async def _principal(request: Request) -> Principal | Response:
    principal = await principal_of(request)
    if principal is None:
        if request.query_params.get("token"):
            return PlainTextResponse("unknown or revoked key", status_code=401)
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
    if not principal.can_manage:
        return PlainTextResponse("managers and admins only", status_code=403)
    return principal


def _here(request: Request, contest_id: str, **change: str) -> str:
    """This page's URL, keeping the key (``?token=``), the chosen baseline and the language."""
    keep = {k: v for k, v in request.query_params.items() if k in ("token", "baseline_from", "baseline_to", "lang")}
    keep.update(change)
    return f"/admin/contests/{contest_id}/lift" + (f"?{urlencode(keep)}" if keep else "")


async def lift_page(request: Request) -> Response:
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    return await _render(request, principal)


async def _render(
    request: Request, principal: Principal, decision_error: tuple[str, str] | None = None, status: int = 200
) -> Response:
    arena = arena_of(request)
    locale = request_locale(request)
    text = TEXT.get(locale, TEXT["en"])
    try:
        contest = await managed_contest(request, principal)
    except ApiError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    report, notice, events = None, None, None
    try:
        baseline = baseline_period(request)
        # one read of the log serves the report and the flags
        events = await arena.event_log.read_events(min(lift_since(contest, baseline), flags_since(contest)))
        report = await contest_lift(arena, contest, baseline, events, interim=True)
    except ApiError as exc:
        notice = text["not_started"] if exc.status == 409 else exc.message
    zone = contest.zone
    kpis = []
    interim_report = bool(report and report["interim"])
    for kpi in report["kpis"] if report else []:
        groups = [(text["participants"], kpi["overall"]["baseline"], kpi["overall"]["contest"])]
        groups += [(team["name"], team["baseline"], team["contest"]) for team in kpi["teams"]]
        if kpi["comparison"]:
            groups.append((text["comparison_short"], kpi["comparison"]["baseline"], kpi["comparison"]["contest"]))
        kpis.append(
            {
                "report": kpi,
                "label": kpi["label"].get(locale, kpi["label"]["en"]),
                "figures": kpi_figures(kpi, text, interim_report),
                "slope": slope_chart(kpi),
                "teams": pair_bars(groups),
                "reps": change_bars(kpi["reps"]),
            }
        )
    interim = None
    if report and report["interim"]:
        last_day = period_days(report["period"], zone)[1]
        end = contest.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        interim = text["interim"].format(date=last_day.isoformat(), end=end)
    found = await contest_flags(arena, contest, [], events)
    for flag in found:
        flag["outcome"] = _outcome(flag.get("decision"), text)
    query = {k: v for k, v in request.query_params.items() if k in ("token", "baseline_from", "baseline_to")}
    if interim:
        query["interim"] = "1"
    return page(
        request,
        "insights/lift.html",
        status=status,
        locale=locale,
        t=text,
        contest=contest,
        report=report,
        period=day_range(report["period"], zone) if report else "",
        baseline=day_range(report["baseline"], zone) if report else "",
        interim=interim,
        notice=notice,
        kpis=kpis,
        chart_text={
            "baseline": text["baseline"],
            "contest": text["period"],
            "participants": text["row_participants"],
            "comparison": text["row_comparison"],
            "expected": text["row_expected"],
            "ci": text["ci"],
        },
        flags=found,
        decision_error=decision_error,
        here=_here(request, contest.id),
        other_language=_here(request, contest.id, lang="en" if locale == "zh-CN" else "zh-CN"),
        csv_url=f"/api/v1/contests/{contest.id}/lift.csv" + (f"?{urlencode(query)}" if query else ""),
        token=request.query_params.get("token"),
    )


def _outcome(decision: dict[str, Any] | None, text: dict[str, str]) -> str:
    """What a decision did, in words: nothing for a dismissal, the number of events taken back for a reversal."""
    if not decision:
        return ""
    if decision.get("decision") == "reverse":
        reversed_ = decision.get("reversed") or {}
        return text["outcome_reverse"].format(n=reversed_.get("accepted", 0) + reversed_.get("duplicates", 0))
    return text["outcome_dismiss"]


async def decision_form(request: Request) -> Response:
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    fields = await form_fields(request)
    contest_id = request.path_params["id"]
    flag_id = request.path_params["flag"]
    try:
        await decide_flag(arena_of(request), principal, flag_id, fields.get("decision"), fields.get("note"))
    except ApiError as exc:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors) if exc.errors else exc.message
        return await _render(request, principal, (flag_id, detail), status=exc.status)
    return RedirectResponse(_here(request, contest_id) + f"#flag-{flag_id}", status_code=303)


routes = [
    Route("/admin/contests/{id}/lift", lift_page, methods=["GET"]),
    Route("/admin/contests/{id}/flags/{flag}/decision", decision_form, methods=["POST"]),
]
