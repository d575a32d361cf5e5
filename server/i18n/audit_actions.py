"""Audit log actions in words: one table for every action code the server writes (``contest.create`` →
「创建了竞赛」 / "Created the contest"), so no page shows a raw code. ``tests/test_audit_actions.py`` finds every
code written anywhere in the server and holds this table to it."""

from __future__ import annotations

from server.i18n.catalogs import gettext_for


def _n_(message: str) -> str:
    return message  # marks a string for the catalogs; translated where it is used


ACTION_NAMES: dict[str, str] = {
    "contest.create": _n_("Created the contest"),
    "contest.recur": _n_("Created the next contest of a recurring series"),
    "contest.update": _n_("Changed the draft"),
    "contest.clone": _n_("Copied the contest"),
    "contest.launch": _n_("Launched the contest"),
    "contest.pause": _n_("Paused the contest"),
    "contest.resume": _n_("Resumed the contest"),
    "contest.end": _n_("Ended the contest early"),
    "contest.archive": _n_("Archived the contest"),
    "contest.rescore": _n_("Rescored the contest"),
    "contest.rescore.start": _n_("Started rescoring (new rules or a rescore)"),
    "contest.rescore.switch": _n_("Switched the board to the rescored one"),
    "contest.late.apply": _n_("Applied a late event"),
    "contest.late.dismiss": _n_("Dismissed a late event"),
    "dispute.accepted": _n_("Accepted a dispute"),
    "dispute.rejected": _n_("Rejected a dispute"),
    "flag.dismiss": _n_("Dismissed an anti-gaming flag"),
    "flag.reverse": _n_("Reversed the deals of an anti-gaming flag"),
    "team.put": _n_("Created or changed a team"),
    "rep.put": _n_("Created or changed a rep"),
    "badge.put": _n_("Defined, changed or retired a badge"),
    "scorecard.put": _n_("Set the team's KPI scorecard"),
    "reward.create": _n_("Added a reward to the catalogue"),
    "reward.update": _n_("Changed a reward"),
    "reward.delete": _n_("Took a reward off the catalogue"),
    "reward.grant": _n_("Granted reward points"),
    "reward.budget": _n_("Set a reward budget"),
    "reward.requested": _n_("Redeemed a reward"),
    "reward.approved": _n_("Approved a redemption"),
    "reward.rejected": _n_("Rejected a redemption (points returned)"),
    "reward.delivered": _n_("Delivered a reward"),
    "goal.put": _n_("Set a goal"),
    "goal.breakdown": _n_("Broke a goal down"),
    "calendar.put": _n_("Changed the working-day calendar"),
    "rates.put": _n_("Set a month's exchange rates"),
    "kudos.given": _n_("Gave kudos"),
    "person.export": _n_("Exported everything held about a person"),
    "person.erase": _n_("Erased a person (pseudonymised everywhere)"),
    "award.crowned": _n_("Crowned an award"),
    "award.corrected": _n_("Moved an award after a correction"),
}


def action_name(code: str, locale: str) -> str:
    """What an action code means, in ``locale``; a code the table does not know is shown as it is."""
    message = ACTION_NAMES.get(code)
    return gettext_for(locale).gettext(message) if message else code


def action_names(locale: str) -> dict[str, str]:
    """Every known action code with its name in ``locale`` (the audit page's filter lists them)."""
    return {code: action_name(code, locale) for code in ACTION_NAMES}
