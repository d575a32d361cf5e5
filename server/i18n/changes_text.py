"""A new contest version in plain words, for the reps it concerns: "计分规则已更新：…" rather than a field diff.

Built from the version's field-level changes (``GET /contests/{id}/versions``) and the definition now in force;
every phrase comes from the message catalogs.
"""

from __future__ import annotations

from typing import Any

from server.i18n import rules_text
from server.i18n.catalogs import format_datetime, gettext_for


def _n_(message: str) -> str:
    return message  # marks a string for the catalogs; translated where it is used


SCORING_FIELDS = (
    *("rules", "multipliers", "team_score", "scoring", "targets", "default_target", "target"),
    *("cap_days", "days_off"),  # daily caps per working day (game/cap_days.py)
)
DATE_FIELDS = {"starts_at": _n_("Starts: {before} → {after}"), "ends_at": _n_("Ends: {before} → {after}")}


def change_lines(
    changes: list[dict[str, Any]], definition: dict[str, Any], locale: str, currency: str, timezone: str
) -> list[str]:
    """What changed, one sentence per kind of change, in the rep's language."""
    tr = gettext_for(locale)
    top = {change["field"].split(".")[0].split("[")[0]: change for change in changes}
    lines = []
    if any(name in top for name in SCORING_FIELDS):
        lines.append(tr.gettext("New scoring: {rules}").format(rules=rules_text.summary(definition, locale, currency)))
    for name, phrase in DATE_FIELDS.items():
        if name in top:
            before, after = (
                format_datetime(top[name][side], timezone, locale, time=False) if top[name][side] else "—"
                for side in ("from", "to")
            )
            lines.append(tr.gettext(phrase).format(before=before, after=after))
    if "prizes" in top:
        lines.append(tr.gettext("The prizes changed."))
    if "name" in top:
        lines.append(tr.gettext("New name: {name}").format(name=definition.get("name", "")))
    if not lines and changes:
        lines.append(tr.gettext("Who takes part or other settings changed."))
    return lines
