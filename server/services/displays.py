"""TV displays as documents: a name, a playlist of slides and the boards its token may watch.

A playlist entry is a board id (``"contest:<id>"``, ``"contest:<id>:teams"``, ``"xp:month"``) or a slide
object ``{"board": "contest:<id>", "kind": "thermometer", "seconds": 20}``. Kinds: ``board`` (the rep
board), ``teams`` (team bars), ``tug`` (tug of war of the two leading teams), ``thermometer`` (the goal
with pacing), ``wins`` (recent wins feed), ``badges`` (badge wall), ``stars`` (销售明星榜, the XP month
board), ``fame`` (the hall of fame: awards, records, longest streaks), ``goal`` (a goal's thermometer with its
teams' contributions: ``{"kind": "goal", "goal": "<id>"}``).
The stored ``playlist`` keeps only the board ids the token may watch; ``slides`` keeps the rest.
"""

from __future__ import annotations

import re
from typing import Any

from game.errors import Collector, ValidationError
from game.goals import GOAL_ID
from server.errors import ApiError
from server.services.boards import parse_board

MAX_PLAYLIST = 20
SLIDE_KINDS = ("board", "teams", "tug", "thermometer", "wins", "badges", "stars", "fame", "goal")
DEFAULT_SECONDS = 20
MIN_SECONDS, MAX_SECONDS = 5, 600
BADGE_WALL_ITEMS = 24
QUIET_HOURS = r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$"


def _default_kind(board: str) -> str:
    spec = parse_board(board)
    if spec is not None and spec.kind == "xp":
        return "stars"
    return "teams" if board.endswith(":teams") else "board"


def normalize_slide(raw: Any, index: int, errors: Collector) -> dict[str, Any] | None:
    """One playlist entry → ``{"board", "kind", "seconds"}`` (board is None for the badge wall)."""
    where = f"playlist[{index}]"
    if isinstance(raw, str):
        raw = {"board": raw}
    if not isinstance(raw, dict):
        errors.add(where, 'must be a board id or {"board": "contest:<id>", "kind": "board", "seconds": 20}')
        return None
    board = raw.get("board")
    kind = raw.get("kind") or (_default_kind(board) if isinstance(board, str) else "")
    seconds = raw.get("seconds", DEFAULT_SECONDS)
    if kind not in SLIDE_KINDS:
        errors.add(f"{where}.kind", f"must be one of {', '.join(SLIDE_KINDS)}")
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        errors.add(f"{where}.seconds", f"a whole number of seconds from {MIN_SECONDS} to {MAX_SECONDS}")
        return None
    if kind == "stars":
        board = board or "xp:month"
    if kind in ("badges", "fame"):
        return {"board": None, "kind": kind, "seconds": seconds}
    if kind == "goal":
        goal = raw.get("goal")
        if not isinstance(goal, str) or not GOAL_ID.match(goal):
            errors.add(f"{where}.goal", "a goal slide names its goal's id")
            return None
        return {"board": None, "kind": kind, "goal": goal, "seconds": seconds}
    spec = parse_board(board) if isinstance(board, str) else None
    expected = {
        "stars": ("xp", None),
        "teams": ("contest", "teams"),
        "tug": ("contest", "teams"),
        "board": ("contest", None),
        "thermometer": ("contest", "reps"),
        "wins": ("contest", "reps"),
    }[kind]
    ok = spec is not None and spec.kind == expected[0] and (expected[1] is None or spec.which == expected[1])
    if kind == "board" and ok and spec is not None and spec.which == "teams":
        ok = False
    if not ok:
        shapes = {
            "stars": "xp:<day|week|month|quarter|all>",
            "teams": "contest:<id>:teams",
            "tug": "contest:<id>:teams",
            "board": "contest:<id> or contest:<id>:div:<name>",
        }
        errors.add(f"{where}.board", f"a {kind} slide shows {shapes.get(kind, 'contest:<id>')}")
        return None
    return {"board": board, "kind": kind, "seconds": seconds}


def validate_display(body: Any, partial: bool = False) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "a display must be a JSON object")
    errors = Collector()
    out: dict[str, Any] = {}
    if not partial or "name" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            errors.add("name", "is required: at most 80 characters")
        else:
            out["name"] = name.strip()
    if not partial or "playlist" in body:
        playlist = body.get("playlist")
        if not isinstance(playlist, list) or not playlist or len(playlist) > MAX_PLAYLIST:
            errors.add("playlist", f"is required: 1 to {MAX_PLAYLIST} slides such as contest:<id>")
            playlist = []
        slides = [normalize_slide(raw, index, errors) for index, raw in enumerate(playlist)]
        out["slides"] = [s for s in slides if s is not None]
    if "locale" in body:
        if body["locale"] not in (None, "", "zh-CN", "en"):
            errors.add("locale", 'must be "zh-CN", "en" or null (the browser\'s language)')
        out["locale"] = body["locale"] or None
    for flag in ("sound", "brand"):  # brand: the organisation's logo and colours (PUT /api/v1/org/brand)
        if flag in body:
            if not isinstance(body[flag], bool):
                errors.add(flag, "must be true or false")
            out[flag] = body[flag]
    if "big_deal" in body:
        value = body["big_deal"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.add("big_deal", "the amount from which a deal gets the big celebration (whole number) or null")
        out["big_deal"] = value
    if "quiet_hours" in body:
        quiet = body["quiet_hours"] or None
        if quiet is not None and (not isinstance(quiet, str) or not valid_quiet_hours(quiet)):
            errors.add("quiet_hours", 'local "HH:MM-HH:MM" (e.g. "22:00-08:00", may span midnight) or null')
        out["quiet_hours"] = quiet
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise ApiError(422, f"invalid display: {exc}", [e.as_dict() for e in exc.errors]) from None
    return out


def valid_quiet_hours(text: str) -> bool:
    """``"22:00-08:00"``: two different wall-clock times in the organisation's time zone."""
    return re.match(QUIET_HOURS, text) is not None and text[:5] != text[6:]


def boards_of(slides: list[dict[str, Any]]) -> list[str]:
    """The boards a display's token may watch: each slide's board (a wins feed rides on its contest)."""
    boards: list[str] = []
    for slide in slides:
        if slide["board"] and slide["board"] not in boards:
            boards.append(slide["board"])
    return boards


def public_view(document: dict[str, Any], base_url: str, token: str | None = None) -> dict[str, Any]:
    view = {
        "id": document["id"],
        "name": document["name"],
        "playlist": document.get("playlist", []),
        "slides": slides_of(document),
        "locale": document.get("locale"),
        "sound": bool(document.get("sound", False)),
        "brand": bool(document.get("brand", False)),
        "big_deal": document.get("big_deal"),
        "quiet_hours": document.get("quiet_hours"),
        "created_by": document.get("created_by"),
        "created_at": document.get("created_at"),
        "updated_at": document.get("updated_at"),
    }
    if token:
        view.update(token=token, url=f"{base_url}/tv/{token}")
    return view


def slides_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Slides of a stored display; displays made before slides existed have only a list of boards."""
    if document.get("slides"):
        return list(document["slides"])
    return [{"board": b, "kind": _default_kind(b), "seconds": DEFAULT_SECONDS} for b in document.get("playlist", [])]
