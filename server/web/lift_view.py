"""What the lift page shows, computed from a lift report: labelled figures, the period in the contest's time
zone, the baseline-vs-contest chart's numbers and the SVG bar geometry. Pure functions, tested one by one."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, tzinfo
from typing import Any

from game.lift import Period

CHART_WIDTH = 640
LABEL_WIDTH = 150
ROW = 26
MAX_REP_ROWS = 40
FONT_PX = 12  # the charts' font size (insights.css): a wide (CJK) character is about this wide, others half
VALUE_GAP = 6


def text_width(text: str) -> float:
    """About how many pixels ``text`` takes at ``FONT_PX``: wide (CJK) characters count whole, others 0.6."""
    return sum(FONT_PX if unicodedata.east_asian_width(ch) in "WF" else FONT_PX * 0.6 for ch in text)


def shorten(label: str, room: float = LABEL_WIDTH - 14) -> str:
    """A chart label that fits ``room`` pixels left of the bars (the full name stays in the tooltip and the CSV)."""
    if text_width(label) <= room:
        return label
    out = ""
    for ch in label:
        if text_width(out + ch + "…") > room:
            break
        out += ch
    return out + "…"


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def signed(value: float) -> str:
    return ("+" if value >= 0 else "") + number(value)


def period_days(period: dict[str, str], zone: tzinfo) -> tuple[date, date]:
    """First and last local day of a report's period (``{"from", "to"}``, ``to`` exclusive) in ``zone``."""
    return Period(datetime.fromisoformat(period["from"]), datetime.fromisoformat(period["to"])).local_days(zone)


def day_range(period: dict[str, str], zone: tzinfo) -> str:
    first, last = period_days(period, zone)
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def kpi_figures(kpi: dict[str, Any], t: dict[str, str], interim: bool) -> list[dict[str, Any]]:
    """The KPI's numbers, each under the label of what it is: totals, the total and the average change, the
    lift estimate with its method and interval, and the share of reps who improved."""
    overall, estimate = kpi["overall"], kpi["estimate"]
    total = (lambda v: f"{v:,.2f}") if kpi["money"] else (lambda v: f"{v:,.0f}")
    change = signed(overall["change"])
    if overall["change_pct"] is not None:
        change += f" ({overall['change_pct']:+.1f} %)"
    figures = [
        {"key": "baseline", "label": t["baseline_total"], "value": total(overall["baseline"])},
        {
            "key": "contest",
            "label": t["contest_to_date" if interim else "contest_total"],
            "value": total(overall["contest"]),
        },
        {"key": "change", "label": t["total_change"], "value": change, "tone": _tone(overall["change"])},
    ]
    reps = overall["reps"]
    if reps:
        average = overall["change"] / reps
        figures.append(
            {"key": "average", "label": t["average_change"], "value": signed(average), "tone": _tone(average)}
        )
    if estimate["per_rep"] is not None:
        method = "did_estimate" if estimate["method"] == "difference_in_differences" else "before_after_estimate"
        value = signed(estimate["per_rep"])
        if estimate["relative_pct"] is not None:
            value += f" ({estimate['relative_pct']:+.1f} %)"
        note = ""
        if estimate["ci95"]:
            low, high = estimate["ci95"]
            note = f"{t['ci']}: [{signed(low)}, {signed(high)}]"
        figures.append({"key": "estimate", "label": t[method], "value": value, "note": note})
    if reps:
        pct = round(100 * overall["improved"] / reps)
        figures.append(
            {
                "key": "improved",
                "label": t["share_improved"],
                "value": f"{pct} %",
                "note": t["improved_note"].format(k=overall["improved"], n=reps, pct=pct),
            }
        )
    return figures


def _tone(value: float) -> str:
    return "up" if value >= 0 else "down"


def slope_chart(kpi: dict[str, Any]) -> dict[str, Any] | None:
    """Mean per rep in the baseline and the contest: the participants, the comparison group, what the
    participants would be expected to reach without the contest (their baseline moved by the comparison
    group's change, or unmoved before/after), and the estimate's interval added to that expectation."""
    overall, estimate, comparison = kpi["overall"], kpi["estimate"], kpi["comparison"]
    if not overall["reps"]:
        return None
    mean = [round(overall["baseline"] / overall["reps"], 2), round(overall["contest"] / overall["reps"], 2)]
    others = None
    if comparison and comparison["reps"]:
        others = [
            round(comparison["baseline"] / comparison["reps"], 2),
            round(comparison["contest"] / comparison["reps"], 2),
        ]
    trend = others[1] - others[0] if others and estimate["method"] == "difference_in_differences" else 0.0
    expected = round(mean[0] + trend, 2)
    ci = [round(expected + bound, 2) for bound in estimate["ci95"]] if estimate["ci95"] else None
    return {
        "participants": mean,
        "comparison": others,
        "expected": [mean[0], expected],
        "estimate": estimate["per_rep"],
        "ci": ci,
    }


def pair_bars(groups: list[tuple[str, float, float]]) -> dict[str, Any]:
    """Horizontal bar pairs (baseline, contest) per group, scaled to the largest value, with room on the right
    for the longest value so that no label is cut off."""
    values = [number(v) for _, b, c in groups for v in (b, c)]
    room = max([text_width(v) for v in values] + [0]) + VALUE_GAP + 4
    span = CHART_WIDTH - LABEL_WIDTH - room
    top = max([max(b, c) for _, b, c in groups] + [1e-9])
    rows = []
    for index, (label, base, now) in enumerate(groups):
        y = index * (2 * ROW - 8) + 4
        bars = []
        for kind, value, offset in (("base", base, 0.0), ("now", now, ROW / 2)):
            width = round(span * max(value, 0) / top, 1)
            bars.append(
                {
                    "kind": kind,
                    "x": LABEL_WIDTH,
                    "y": y + offset,
                    "w": width,
                    "h": ROW / 2 - 2,
                    "value": number(value),
                    "value_x": round(LABEL_WIDTH + width + VALUE_GAP / 2, 1),
                }
            )
        rows.append({"label": shorten(label), "title": label, "y": y, "label_y": y + ROW - 6, "bars": bars})
    return {"width": CHART_WIDTH, "height": len(groups) * (2 * ROW - 8) + 8, "label_x": LABEL_WIDTH - 10, "rows": rows}


def change_bars(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """A diverging bar per rep (change against the baseline), biggest gains first, around a zero line, with
    room on both sides for the longest value."""
    shown = sorted(reps, key=lambda r: -r["change"])
    if len(shown) > MAX_REP_ROWS:
        half = MAX_REP_ROWS // 2
        shown = shown[:half] + shown[-half:]
    texts = [signed(r["change"]) for r in shown]
    margin = max([text_width(v) for v in texts] + [0]) + VALUE_GAP + 4
    width = CHART_WIDTH - LABEL_WIDTH - 2 * margin
    low = min([r["change"] for r in shown] + [0])
    high = max([r["change"] for r in shown] + [0])
    scale = width / (high - low) if high > low else 0
    zero = LABEL_WIDTH + margin + (0 - low) * scale
    rows = []
    for index, (rep, text) in enumerate(zip(shown, texts, strict=True)):
        x = zero + min(rep["change"], 0) * scale
        w = abs(rep["change"]) * scale
        up = rep["change"] >= 0
        rows.append(
            {
                "label": shorten(rep["name"]),
                "title": rep["name"],
                "y": index * ROW + 4,
                "label_y": index * ROW + ROW / 2 + 8,
                "x": round(x, 1),
                "w": round(w, 1),
                "h": ROW - 8,
                "up": up,
                "value": text,
                "value_x": round(x + w + VALUE_GAP / 2 if up else x - VALUE_GAP / 2, 1),
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
