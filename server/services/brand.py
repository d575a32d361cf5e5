"""The organisation's colours on a TV, kept readable: names stay at 7:1 or more against the rows they sit on,
the accent (titles, the countdown) at 4.5:1 or more against the background. Pure: colours in, the CSS
variables a branded TV uses or what is wrong with them."""

from __future__ import annotations

import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
TEXT = "#f5f7fc"  # the TV's names and numbers (tv.css --text)
NAMES_CONTRAST = 7.0
ACCENT_CONTRAST = 4.5
# How much white each surface of the TV mixes into the background: rows are a little lighter than the page.
SURFACES = {"--bg": 0.0, "--bg2": 0.03, "--panel": 0.06, "--panel2": 0.10, "--line": 0.17}


def _channels(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def lighten(color: str, share: float) -> str:
    """``color`` with ``share`` of white mixed in."""
    return "#" + "".join(f"{round(v + (255 - v) * share):02x}" for v in _channels(color))


def surfaces(background: str) -> dict[str, str]:
    return {name: lighten(background, share) for name, share in SURFACES.items()}


def brand_problems(accent: str | None, background: str | None) -> dict[str, str]:
    """What is wrong with a pair of brand colours, by field (empty: both can be used)."""
    problems: dict[str, str] = {}
    for field, color in (("accent", accent), ("background", background)):
        if color is not None and not HEX.match(color):
            problems[field] = "must be a colour written #rrggbb"
    if problems:
        return problems
    if background is not None:
        rows = surfaces(background)["--panel2"]
        ratio = contrast(TEXT, rows)
        if ratio < NAMES_CONTRAST:
            problems["background"] = (
                f"too light: names would stand at {ratio:.1f}:1 on the rows, at least {NAMES_CONTRAST:.0f}:1 is needed"
            )
    if accent is not None:
        against = background or "#070b14"
        ratio = contrast(accent, against)
        if ratio < ACCENT_CONTRAST:
            problems["accent"] = f"{ratio:.1f}:1 against the background: at least {ACCENT_CONTRAST}:1 is needed"
    return problems


def tv_style(accent: str | None, background: str | None) -> str:
    """The ``style`` of a branded TV's ``<body>``: the CSS variables its colours set (checked before)."""
    variables = dict(surfaces(background)) if background else {}
    if accent:
        variables["--accent"] = accent
    return "; ".join(f"{name}: {value}" for name, value in variables.items())
