"""The lift report page (``/admin/contests/{id}/lift``): the report with server-rendered SVG charts and the
contest's anti-gaming flags with a dismiss / reverse form each. No script, no chart library, no CDN.

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
from server.web.render import page, request_locale

CHART_WIDTH = 640
LABEL_WIDTH = 150
ROW = 26
MAX_REP_ROWS = 40

TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "激励效果评估",
        "period": "竞赛期",
        "baseline": "基准期",
        "participants": "参赛销售",
        "comparison": "未参赛对照组",
        "comparison_short": "对照组",
        "improved": "有提升",
        "of": "/",
        "estimate": "每人平均提升",
        "did": "双重差分（扣除对照组的变化）",
        "before_after": "前后对比（没有可比的对照组）",
        "ci": "95% 置信区间",
        "teams": "各团队：基准期 与 竞赛期",
        "reps": "每位销售的变化",
        "flags": "异常标记",
        "no_flags": "没有发现异常模式。",
        "dismiss": "忽略",
        "reverse": "撤销这些事件",
        "note": "备注",
        "decided": "已处理",
        "events": "相关事件",
        "download": "下载 CSV",
        "back": "返回竞赛",
        "not_ended": "竞赛结束后才能生成激励效果评估。",
        "increase": "有提升",
        "decrease": "有下降",
        "inconclusive": "无法确定",
        "insufficient_data": "数据不足",
        "base_bar": "基准期",
        "contest_bar": "竞赛期",
        "more_reps": "另有 {n} 名销售未显示（见 CSV）。",
        "no_activity": "参赛销售在基准期和竞赛期都没有这项活动。",
    },
    "en": {
        "title": "Lift report",
        "period": "Contest",
        "baseline": "Baseline",
        "participants": "Participants",
        "comparison": "Comparison group (not in the contest)",
        "comparison_short": "Comparison",
        "improved": "improved",
        "of": "of",
        "estimate": "Lift per rep",
        "did": "difference in differences (net of the comparison group's change)",
        "before_after": "before and after (no comparable group)",
        "ci": "95 % confidence interval",
        "teams": "Teams: baseline and contest",
        "reps": "Change per rep",
        "flags": "Flags",
        "no_flags": "No suspicious patterns found.",
        "dismiss": "Dismiss",
        "reverse": "Reverse these events",
        "note": "Note",
        "decided": "Decided",
        "events": "Events behind it",
        "download": "Download CSV",
        "back": "Back to the contest",
        "not_ended": "The lift report is ready once the contest has ended.",
        "increase": "lift",
        "decrease": "decline",
        "inconclusive": "inconclusive",
        "insufficient_data": "not enough data",
        "base_bar": "baseline",
        "contest_bar": "contest",
        "more_reps": "{n} more reps not shown (see the CSV).",
        "no_activity": "The participants had none of this in either period.",
    },
}


def _short(label: str, limit: int = 16) -> str:
    """A chart label that fits left of the bars (the full name stays in the bar's tooltip and the CSV)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def pair_bars(groups: list[tuple[str, float, float]]) -> dict[str, Any]:
    """Horizontal bar pairs (baseline, contest) per group, scaled to the largest value."""
    span = CHART_WIDTH - LABEL_WIDTH - 70
    top = max([max(b, c) for _, b, c in groups] + [1e-9])
    rows = []
    for index, (label, base, now) in enumerate(groups):
        y = index * (2 * ROW - 8) + 4
        rows.append(
            {
                "label": _short(label),
                "y": y,
                "label_y": y + ROW - 6,
                "bars": [
                    {
                        "kind": "base",
                        "x": LABEL_WIDTH,
                        "y": y,
                        "w": round(span * max(base, 0) / top, 1),
                        "h": ROW / 2 - 2,
                        "value": _number(base),
                    },
                    {
                        "kind": "now",
                        "x": LABEL_WIDTH,
                        "y": y + ROW / 2,
                        "w": round(span * max(now, 0) / top, 1),
                        "h": ROW / 2 - 2,
                        "value": _number(now),
                    },
                ],
            }
        )
    return {"width": CHART_WIDTH, "height": len(groups) * (2 * ROW - 8) + 8, "label_x": LABEL_WIDTH - 10, "rows": rows}


def change_bars(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """A diverging bar per rep (change against the baseline), biggest gains first, around a zero line."""
    shown = sorted(reps, key=lambda r: -r["change"])
    if len(shown) > MAX_REP_ROWS:
        half = MAX_REP_ROWS // 2
        shown = shown[:half] + shown[-half:]
    margin = 50  # room for the value next to a bar on either side
    width = CHART_WIDTH - LABEL_WIDTH - 2 * margin
    low = min([r["change"] for r in shown] + [0])
    high = max([r["change"] for r in shown] + [0])
    scale = width / (high - low) if high > low else 0
    zero = LABEL_WIDTH + margin + (0 - low) * scale
    rows = []
    for index, rep in enumerate(shown):
        x = zero + min(rep["change"], 0) * scale
        w = abs(rep["change"]) * scale
        up = rep["change"] >= 0
        rows.append(
            {
                "label": _short(rep["name"]),
                "y": index * ROW + 4,
                "label_y": index * ROW + ROW / 2 + 8,
                "x": round(x, 1),
                "w": round(w, 1),
                "h": ROW - 8,
                "up": up,
                "value": _number(rep["change"]),
                "value_x": round(x + w + 4 if up else x - 4, 1),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": len(shown) * ROW + 8,
        "label_x": LABEL_WIDTH - 10,
        "zero": round(zero, 1),
        "rows": rows,
        "hidden": max(0, len(reps) - len(shown)),
    }


def interval_marks(estimate: dict[str, Any]) -> dict[str, Any] | None:
    """The estimate and its confidence interval on an axis that always includes zero."""
    if not estimate["ci95"]:
        return None
    low, high = estimate["ci95"]
    lo, hi = min(low, 0), max(high, 0)
    pad = (hi - lo) * 0.1 or 1
    lo, hi = lo - pad, hi + pad
    width = CHART_WIDTH - 40

    def at(value: float) -> float:
        return round(20 + (value - lo) * width / (hi - lo), 1)

    return {
        "width": CHART_WIDTH,
        "height": 44,
        "zero": at(0),
        "low": at(low),
        "high": at(high),
        "point": at(estimate["per_rep"]),
        "low_text": _number(low),
        "high_text": _number(high),
    }


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
        report = await contest_lift(arena, contest, baseline, events)
    except ApiError as exc:
        notice = text["not_ended"] if exc.status == 409 else exc.message
    charts = []
    for kpi in report["kpis"] if report else []:
        groups = [(text["participants"], kpi["overall"]["baseline"], kpi["overall"]["contest"])]
        groups += [(team["name"], team["baseline"], team["contest"]) for team in kpi["teams"]]
        if kpi["comparison"]:
            groups.append((text["comparison_short"], kpi["comparison"]["baseline"], kpi["comparison"]["contest"]))
        charts.append(
            {"teams": pair_bars(groups), "reps": change_bars(kpi["reps"]), "interval": interval_marks(kpi["estimate"])}
        )
    found = await contest_flags(arena, contest, [], events)
    query = {k: v for k, v in request.query_params.items() if k in ("token", "baseline_from", "baseline_to")}
    return page(
        request,
        "insights/lift.html",
        locale=locale,
        t=text,
        contest=contest,
        report=report,
        notice=notice,
        charts=charts,
        flags=found,
        here=_here(request, contest.id),
        other_language=_here(request, contest.id, lang="en" if locale == "zh-CN" else "zh-CN"),
        csv_url=f"/api/v1/contests/{contest.id}/lift.csv" + (f"?{urlencode(query)}" if query else ""),
        token=request.query_params.get("token"),
    )


async def decision_form(request: Request) -> Response:
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    fields = await form_fields(request)
    contest_id = request.path_params["id"]
    try:
        await decide_flag(
            arena_of(request), principal, request.path_params["flag"], fields.get("decision"), fields.get("note")
        )
    except ApiError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    return RedirectResponse(_here(request, contest_id) + "#flags", status_code=303)


routes = [
    Route("/admin/contests/{id}/lift", lift_page, methods=["GET"]),
    Route("/admin/contests/{id}/flags/{flag}/decision", decision_form, methods=["POST"]),
]
