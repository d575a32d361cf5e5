"""Server-rendered pages. The TV display is public by token (no login): the token in its URL is the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.auth import principal_for_token

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

templates = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(("html", "xml"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

TEXT = {
    "zh-CN": {
        "title": "销售竞技场",
        "rank": "排名",
        "rep": "销售",
        "team": "战队",
        "score": "积分",
        "reconnecting": "正在重新连接…",
        "ends_in": "距结束",
        "ended": "已结束",
        "days": "天",
        "no_data": "等待第一笔成交…",
        "new_deal": "新成交！",
        "points": "分",
        "teams": "团队对战",
        "unknown_display": "此显示屏链接无效或已被撤销。请在管理后台重新获取链接。",
    },
    "en": {
        "title": "Sales Arena",
        "rank": "Rank",
        "rep": "Rep",
        "team": "Team",
        "score": "Points",
        "reconnecting": "Reconnecting…",
        "ends_in": "Ends in",
        "ended": "Ended",
        "days": "d",
        "no_data": "Waiting for the first deal…",
        "new_deal": "New deal!",
        "points": "pts",
        "teams": "Team battle",
        "unknown_display": "This display link is not valid or was revoked. Get a new link from the console.",
    },
}


def pick_locale(request: Request, default: str) -> str:
    """An explicit ``?lang=``, then the browser's Accept-Language, then the server default."""
    explicit = request.query_params.get("lang")
    if explicit in TEXT:
        return explicit
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context), status_code=status)


async def tv(request: Request) -> Response:
    arena = request.app.state.arena
    token = request.path_params.get("token") or request.query_params.get("token") or ""
    locale = pick_locale(request, arena.settings.locale)
    principal = await principal_for_token(arena.redis, token)
    if principal is None:
        return render("tv_unknown.html", status=404, t=TEXT[locale], locale=locale)
    playlist = list(principal.playlist)
    if not playlist and request.query_params.get("board"):
        playlist = [request.query_params["board"]]
    return render(
        "tv.html",
        t=TEXT[locale],
        locale=locale,
        token=token,
        playlist=playlist,
        currency=arena.settings.currency,
        timezone=arena.settings.timezone,
        slide_seconds=20,
    )


async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


routes = [
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/tv", tv, methods=["GET"]),
    Route("/tv/{token}", tv, methods=["GET"]),
    Mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static"),
]
