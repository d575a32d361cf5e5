"""The API's field errors in words a manager reads, in both languages (``web/static/field-errors.js`` uses it).

The API keeps answering ``{"error": ..., "errors": [{"field": "prizes[3].threshold", "message": "..."}]}`` in
English for scripts; pages translate on the way in, so the contract never changes. Two tables:

- ``FIELD_LABELS``: a field path with its indexes written ``[]`` (``prizes[].threshold``) or a key written
  ``*`` (``targets.*``) → what the field is called on the page; ``{n}`` is the index counted from 1 (people
  count prizes from 1), ``{key}`` the key (a rep id).
- ``MESSAGES``: ``(pattern, words)`` — a regular expression over the English message (it must read the same
  in Python and JavaScript: plain groups only) and what to say instead; ``{1}``, ``{2}`` are its groups. The
  first match wins; an error no pattern matches is shown with a generic sentence (its English in a tooltip),
  so a new message never shows up as developer English in the Chinese console.

A page with words of its own (``PAGE_WORDS``) names itself in ``FieldErrors.show(root, result, {page: ...})``:
its ``fields`` (paths written as in ``FIELD_LABELS``) replace the translated message next to those fields, its
``statuses`` (``"409"``, or ``"<action>.409"`` for one request) say why a request naming no field was refused,
before the workspace-wide ``STATUSES``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(text: str) -> str:
    """Marks a string for translation where it is declared; it is translated when the page is rendered."""
    return text


FIELD_LABELS: dict[str, str] = {
    "": N_("This contest"),
    "id": N_("Contest id"),
    "name": N_("Name"),
    "kind": N_("Kind"),
    "starts_at": N_("Start"),
    "ends_at": N_("End"),
    "timezone": N_("Time zone"),
    "currency": N_("Currency"),
    "team_score": N_("Team score"),
    "teams": N_("Participants"),
    "reps": N_("Participants"),
    "target": N_("Race target"),
    "goal": N_("Shared goal"),
    "multipliers": N_("High-margin products"),
    "rules": N_("Rules"),
    "rules[]": N_("Rule {n}"),
    "rules[].on": N_("Rule {n}: event"),
    "rules[].points": N_("Rule {n}: points each"),
    "rules[].points_per": N_("Rule {n}: amount per point"),
    "rules[].cap_per_day": N_("Rule {n}: daily cap"),
    "rules[].new_customer_only": N_("Rule {n}: new customers only"),
    "prizes": N_("Prizes"),
    "prizes[]": N_("Prize {n}"),
    "prizes[].prize": N_("Prize {n}: what is won"),
    "prizes[].rank": N_("Prize {n}: ranks"),
    "prizes[].threshold": N_("Prize {n}: points threshold"),
    "prizes[].value": N_("Prize {n}: value"),
    "prizes[].board": N_("Prize {n}: for reps or teams"),
    "scoring": N_("Scoring"),
    "targets": N_("Targets"),
    "targets.*": N_("Target of {key}"),
    "default_target": N_("Target for everyone else"),
    "divisions": N_("Divisions"),
    "divisions.*": N_("Division {key}"),
    "leagues": N_("Leagues"),
    "leagues.size": N_("League size"),
    "leagues.promote": N_("Promoted each period"),
    "leagues.relegate": N_("Relegated each period"),
    "improvement.floor": N_("Lowest target"),
    "baseline.from": N_("Baseline start"),
    "baseline.to": N_("Baseline end"),
    "change_reason": N_("Reason for the change"),
    "username": N_("Username"),
    "password": N_("Password"),
    "role": N_("Role"),
    "rep": N_("Rep"),
    "playlist": N_("Slides"),
    "playlist[]": N_("Slide {n}"),
    "csv": N_("CSV file"),
    "content-type": N_("File type"),
    "accent": N_("Accent colour"),
    "background": N_("Background colour"),
    "logo": N_("Logo"),
    "image": N_("Photo"),
    "url": N_("Photo address"),
    "kpis": N_("Scorecard"),
    "kpis[].kpi": N_("Scorecard KPI {n}"),
    "kpis[].weight": N_("Scorecard KPI {n}: weight"),
    "kpis[].target": N_("Scorecard KPI {n}: target"),
    "kpis[].min_events": N_("Scorecard KPI {n}: minimum events"),
    "cost": N_("Cost (reward points)"),
    "stock": N_("Stock left"),
    "value": N_("Value"),
    "points": N_("Points"),
    "period": N_("Period"),
    "reward_points": N_("Reward points"),
    "prizes[].reward_points": N_("Prize {n}: reward points"),
    "awards": N_("Awards"),
    "awards[]": N_("Award {n}"),
    "awards[].kind": N_("Award {n}"),
    "awards[].title": N_("Award {n}: title shown"),
}

MESSAGES: list[tuple[str, str]] = [
    # the contest's own rules (game/contests.py, game/rules.py, game/fairness_options.py)
    (r"^is required: 1-64 letters, digits, _ or -", N_("is required: 1–64 letters, digits, _ or -")),
    (r"^is required: a display name of at most (\d+) characters$", N_("is required (at most {1} characters)")),
    (r"^is required: a non-empty list of scoring rules$", N_("add at least one rule")),
    (r"^is required: the event type this rule scores", N_("choose the event this rule scores")),
    (r"^is required: the rep id", N_("is required: the rep's id")),
    (r"^is required for deal\.won$", N_("is required for a won deal")),
    (r"^is required", N_("is required")),
    (r"^Object missing required field", N_("is required")),
    (r"^must be after starts_at$", N_("must be after the start")),
    (r"^a contest may last at most (\d+) days$", N_("a contest may last at most {1} days")),
    (r"^is not a known time zone", N_("is not a known time zone")),
    (r"^must be a three-letter ISO 4217 code", N_("must be a three-letter currency code such as CNY")),
    (r"^at most (\d+) rules$", N_("at most {1} rules")),
    (r"^must be a whole number of points from 1 to ([\d,]+)$", N_("must be a whole number of points from 1 to {1}")),
    (r"^must be a whole number of points, at least 1$", N_("must be a whole number of points, at least 1")),
    (r"^must be a whole number from (\d[\d,]*) to (\d[\d,]*)$", N_("must be a whole number from {1} to {2}")),
    (r"^must be a whole number of hours from 0 to (\d+)$", N_("must be a whole number of hours from 0 to {1}")),
    (r"^must be a positive whole number of points$", N_("must be a positive whole number of points")),
    (r"^must be a positive amount \(money per point\)$", N_("must be a positive amount of money per point")),
    (r"^a rule needs points", N_("give points each, an amount per point, or both")),
    (r"^must be between 0 and 100$", N_("must be between 0 and 100")),
    (r"^unknown attribute; use one of (.+)$", N_("is not known; use one of {1}")),
    (r"^needs \"prize\"", N_("say what is won, e.g. ¥2,000 bonus")),
    (r"^needs exactly one of \"rank\"", N_("give either ranks or a points threshold, not both")),
    (r"^\"min_score\" and \"ties\" belong to rank prizes", N_("a threshold prize has no minimum or tie rule")),
    (r"^must be a rank \(1\) or a range", N_("must be a rank, or a range whose end is not before its start")),
    (r"^is a negative amount of money", N_("cannot be a negative amount of money")),
    (r"^must be \"reps\" or \"teams\"$", N_("must be reps or teams")),
    (r"^a race needs a target", N_("a race needs a target (first to reach it wins) or a shared goal")),
    (r"^must map rep ids to their target", N_("must give each rep a target in points")),
    (
        r"^percent_of_target scoring needs targets",
        N_("percent-of-target scoring needs a target per rep or for everyone"),
    ),
    (r"^must map division names to rep ids", N_("must put reps into named divisions")),
    (r"^a division name is 1-32 letters", N_("a division name is 1–32 letters, digits, _ or -")),
    (r"^a rep can be in one division only$", N_("a rep can be in one division only")),
    (
        r"^promote \+ relegate must be smaller than size$",
        N_("promoted plus relegated must be fewer than the league size"),
    ),
    (r"^must be up to 24 letters, digits, _ or -$", N_("must be up to 24 letters, digits, _ or -")),
    (r"^a head-to-head needs exactly two", N_("a head-to-head needs exactly two different reps (or teams)")),
    (r"^must be a list of ids$", N_("must be a list of ids")),
    (r"^already in use$", N_("is already used by another contest: change the id")),
    (r"^required once a contest has started$", N_("say why the rules change: required once a contest has started")),
    # shapes (server/api/codec.py in msgspec's words)
    (r"^Expected `str` of length >= 1$", N_("must not be empty")),
    (r"^Expected `str` of length <= (\d+)$", N_("at most {1} characters")),
    (r"^Expected `str` matching regex", N_("contains characters that are not allowed here")),
    (r"^Expected `int` >= (-?\d+)$", N_("must be at least {1}")),
    (r"^Expected `int` <= (-?\d+)$", N_("must be at most {1}")),
    (r"^Expected `array` of length >= (\d+)$", N_("needs at least {1}")),
    (r"^Expected `array` of length <= (\d+)$", N_("at most {1}")),
    (r"^Expected `int`, got `float`$", N_("must be a whole number")),
    (r"^Expected `(int|float|decimal|int \| decimal)[^`]*`, got `\w+`$", N_("must be a number")),
    (r"^Expected `str`, got `\w+`$", N_("must be text")),
    (r"^Expected `bool`, got `\w+`$", N_("must be yes or no")),
    (r"^Expected `array`", N_("must be a list")),
    (r"^Expected `object`", N_("has the wrong form")),
    (r"^Invalid enum value", N_("is not one of the choices")),
    (r"^Object contains unknown field", N_("is not a known field")),
    (r"^must be an object such as", N_("has the wrong form")),
    (r"^must be one of (.+)$", N_("must be one of: {1}")),
    (r"^(needs a UTC offset|is not an RFC 3339 time|must be an RFC 3339 time)", N_("is not a valid date and time")),
    (r"^(is not a decimal number|must be a decimal string|Invalid decimal string)", N_("must be an amount, e.g. 2000")),
    (r"^must not be negative", N_("must not be negative")),
    (r"^must be at most ([\d,]+) in absolute value$", N_("must be at most {1}")),
    (r"^has more than (\d+) decimal places$", N_("has more than {1} decimal places")),
    # CSV rows (server/integrations/csv_import.py, reps import)
    (r"^unknown column; expected some of (.+)$", N_("is not a known column; the columns are: {1}")),
    (r"^required column is missing$", N_("this required column is missing")),
    (r"^(\d+) cells for (\d+) columns$", N_("has {1} cells for {2} columns")),
    (r"^repeats the id of line (\d+)$", N_("repeats the id of line {1}")),
    (r"^more than ([\d,]+) rows: split the file$", N_("more than {1} rows: split the file")),
    (r"^the file is empty", N_("the file is empty: the first row names the columns")),
    (r"^is in the future$", N_("is in the future")),
    (r"^must be on or after (\S+)$", N_("must be on or after {1}")),
    (r"^id: 1-128 letters", N_("Id: 1–128 letters, digits, _ . : @ -")),
    (r"^id: appears twice in this file$", N_("Id: appears twice in this file")),
    (r"^name: required, at most (\d+) characters$", N_("Name: required, at most {1} characters")),
    (r"^team: unknown team '(.*)'$", N_("Team: there is no team {1}")),
    (r"^team: not one of your teams$", N_("Team: not one of your teams")),
    (r"^the first row must name the columns: (.+)$", N_("The first row must name the columns: {1}")),
    (r"^not a readable CSV file", N_("This is not a readable CSV file.")),
    (r"^at most ([\d,]+) rows per import$", N_("At most {1} rows per import: split the file.")),
    (r"^'(.*)' is not a rep of your teams$", N_("{1} is not a rep of your teams")),
    (
        r"^no rows: the first row names the columns",
        N_("No rows: the first row names the columns (id, rep, amount, occurred_at, …)."),
    ),
    # people, users and displays (server/api/users.py, directory.py, services/displays.py)
    (r"^1-64 letters, digits, _ \. @ -$", N_("1–64 letters, digits, _ . @ -")),
    (r"^1-128 letters, digits, _ \. : @ -$", N_("1–128 letters, digits, _ . : @ -")),
    (r"^is required for a new user: one of (.+)$", N_("choose a role: {1}")),
    (r"^the admin user stays an admin$", N_("the admin user stays an admin")),
    (r"^a rep user is linked to an existing rep id$", N_("a rep's account needs the id of an existing rep")),
    (r"^a list of existing team ids$", N_("choose existing teams")),
    (r"^managers and admins need a password", N_("managers and admins need a password (reps may use sign-in links)")),
    (r"^wrong$", N_("is wrong")),
    (r"^must be true or false$", N_("must be yes or no")),
    (r"^is required: 1 to (\d+) slides", N_("add 1 to {1} slides")),
    (r"^the amount from which a deal gets the big celebration", N_("must be a whole amount, or empty")),
    (r"^team '([^']*)' is not one of your teams", N_("Team {1} is not one of your teams (an admin creates teams).")),
    (
        r"^managers add and move reps within their own teams only$",
        N_("Managers add and move reps within their own teams only."),
    ),
    (r"^this display belongs to another manager$", N_("This display belongs to another manager.")),
    # kudos and awards (server/services/recognition.py, game/awards.py)
    (r"^give either rep or team$", N_("choose one rep or one team")),
    (r"^an active rep's id$", N_("choose an active rep")),
    (r"^a team's id$", N_("choose a team")),
    (r"^one of best_seller, best_team, each at most once$", N_("best seller or best team, each at most once")),
    (r"^1 to (\d+) characters, or left out for the default title$", N_("1 to {1} characters, or empty")),
    (r"^(\S+) is not a contest of your teams$", N_("{1} is not a contest of your teams.")),
    (r"^the current password is wrong$", N_("The current password is wrong.")),
    (r"^sign-in links are for active reps and managers$", N_("Sign-in links are for active reps and managers.")),
    (r"^(no such user|no user '[^']*' you manage)$", N_("There is no such user.")),
    (r"^no display", N_("There is no such display.")),
    # whole requests (server/http.py, services)
    (r"^body too large: at most (\d+) bytes$", N_("Too large: at most {1} bytes can be sent at once.")),
    (r"^contest '([^']*)' has participants outside your teams$", N_("This contest includes reps outside your teams.")),
    (r"^contest '([^']*)' exists already", N_("A contest with the id {1} exists already.")),
    (r"^cannot (\w+) a contest that is (\w+)$", N_("The contest's current state does not allow this.")),
    (r"^an archived contest cannot change$", N_("An archived contest cannot change.")),
    (r"^no contest '([^']*)'$", N_("There is no contest {1}.")),
    (r"^unsupported content type", N_("This file type is not accepted.")),
    # brand colours, photos and the logo (server/services/brand.py, images.py, picture_fetch.py)
    (r"^must be a colour written #rrggbb$", N_("must be a colour written #rrggbb")),
    (
        r"^too light: names would stand at ([\d.]+):1 on the rows, at least (\d+):1 is needed$",
        N_("too light: names would stand at {1}:1 on the rows; at least {2}:1 is needed"),
    ),
    (
        r"^([\d.]+):1 against the background: at least ([\d.]+):1 is needed$",
        N_("{1}:1 against the background; at least {2}:1 is needed"),
    ),
    (r"^send either image \(base64\) or url$", N_("choose a picture file or give its address")),
    (r"^the picture is empty$", N_("the picture is empty")),
    (r"^the picture is (\d+) KB: at most (\d+) KB$", N_("the picture is {1} KB: at most {2} KB")),
    (r"^not a PNG, JPEG or WebP picture$", N_("not a PNG, JPEG or WebP picture")),
    (
        r"^the picture is (\d+)×(\d+) pixels: at most (\d+) per side$",
        N_("the picture is {1}×{2} pixels: at most {3} per side"),
    ),
    (r"^a (PNG|JPEG|WebP)", N_("the picture file is damaged")),
    (r"^could not fetch the picture", N_("could not fetch the picture from that address")),
    (r"^is not a URL the server can fetch", N_("is not an address the server may fetch pictures from")),
    # scorecards (game/scorecard.py)
    (
        r"^the weights add up to (-?\d+): they must add up to (\d+)$",
        N_("the weights add up to {1}: they must add up to {2}"),
    ),
    (r"^(\w+) is listed twice$", N_("{1} is listed twice")),
    (r"^must be a positive number", N_("must be a positive number")),
    (r"^must be at most (\S+) for (\w+)", N_("must be at most {1} for this KPI")),
    # rewards (server/services/rewards.py, server/api/rewards.py, game/rewards.py)
    (r"^must be a whole number of reward points from 1 to ([\d,]+)$", N_("must be a whole number from 1 to {1}")),
    (
        r"^approving this would exceed the (\S+) budget of (\d+) points by (\d+) \(spent (\d+)\)$",
        N_("Approving this would exceed the {1} budget of {2} points by {3} ({4} approved so far)."),
    ),
    (
        r"^approving this would exceed the (\S+) budget of ([\d.]+) by ([\d.]+) \(spent ([\d.]+)\)$",
        N_("Approving this would exceed the {1} money budget of {2} by {3} ({4} approved so far)."),
    ),
    (
        r"^this redemption is (\w+): it cannot become (\w+)$",
        N_("This redemption was decided already: reload the page."),
    ),
    (r"^the rep has only (\d+) reward points", N_("The rep has only {1} reward points: that many can be taken back.")),
    (r"^a budget period is a month", N_("must be a month (2026-12) or a quarter (2026-Q4)")),
    (r"^(value|money) must be an amount from 0", N_("must be an amount of zero or more")),
    # goals (server/services/goals.py, server/api/goals.py)
    (
        r"^the parts add up to ([\d,]+), not the goal's ([\d,]+): ([\d,]+) short$",
        N_("the parts add up to {1}, not the goal's {2}: {3} short"),
    ),
    (
        r"^the parts add up to ([\d,]+), not the goal's ([\d,]+): ([\d,]+) over$",
        N_("the parts add up to {1}, not the goal's {2}: {3} over"),
    ),
    (r"^'(.*)' is not one of the (teams|reps of team .*)$", N_("{1} cannot take a part of this goal")),
]

TEXTS: dict[str, str] = {
    "generic": N_("is not accepted"),
    "check": N_("Please correct the marked fields: {fields}."),
    "separator": N_(", "),
    "pair": N_("{label}: {message}"),
    "failed": N_("That did not work"),
    "line": N_("Line {n}: {message}"),
    "cell": N_("Line {n}, column {column}: {message}"),
    "open": N_("Open it"),
    "too_large": N_("{name} is {size} MB: at most {limit} MB can be uploaded. Split the file."),
    "marked": N_("Nothing was saved: check the fields marked."),
}

STATUSES: dict[str, str] = {
    "401": N_("Your session has ended: sign in again."),
    "403": N_("Your session has ended: sign in again."),
    "404": N_("It no longer exists: reload the page."),
    "413": N_("That is too large."),
    "422": N_("These values were refused: check them and try again."),
    "429": N_("Too many attempts in the last minute: try again in a minute."),
    "503": N_("The server cannot store this right now: try again shortly."),
}

PAGE_WORDS: dict[str, dict[str, dict[str, str]]] = {
    "badges": {
        "fields": {
            "id": N_("Give the badge an id of at most 64 characters."),
            "kind": N_("Choose one of the kinds in the list."),
            "period": N_("Choose one of the periods in the list."),
            "name": N_("Name the badge in both languages."),
            "deals": N_("Enter a whole number of deals from 1 to 10,000."),
            "amount": N_("Enter the amount this badge needs, a positive number."),
            "days": N_("Enter a whole number of days from 1 to 10,000."),
            "customers": N_("Enter a whole number of customers from 1 to 10,000."),
        },
        "statuses": {"403": N_("Only an administrator may define badges.")},
    },
    "rule-change": {
        "fields": {
            "rules": N_("A contest needs at least one rule, and each rule points or an amount per point."),
            "rules[]": N_(
                "Check this rule: whole points from 0, a positive amount per point, a daily cap of 1 or more."
            ),
            "change_reason": N_("Say why the rules change: the contest has started and its reps are told."),
        },
        "statuses": {
            "409": N_("A rescore of this contest is running: wait for it to finish, then confirm again."),
            "403": N_("This contest has reps outside your teams: only an administrator may change it."),
            "413": N_("The event log is too long to replay for a preview."),
        },
    },
    "connectors": {
        "fields": {
            "type": N_("Choose a CRM."),
            "name": N_("Give the connector a name (at most 80 characters)."),
            "config.secret": N_("The signing secret must be 16 to 512 characters."),
            "config.password": N_("The password must be 12 to 512 characters."),
            "config.organization_id": N_("A Salesforce ID has 15 or 18 letters and digits."),
            "config.action_id": N_("A Salesforce ID has 15 or 18 letters and digits."),
            "config.api_base": N_("The vendor's own address, such as https://api.hubapi.com."),
            "config.accounts_url": N_("The vendor's own address, such as https://accounts.zoho.com."),
            "config.won_stages": N_("One to 50 stage names, separated by commas."),
            "config.*": N_("This setting is needed for this CRM (at most 512 characters)."),
            "rep": N_("Choose a rep who is not yet matched to another user of this CRM."),
            "crm_user": N_("This CRM user id cannot be matched."),
        },
        "statuses": {
            "test.409": N_("This CRM sends its own test deliveries: use the test button in the CRM."),
            "map.409": N_("This rep is already matched to another user of this CRM."),
        },
    },
    "channels": {
        "fields": {
            "type": N_("Choose a chat app."),
            "name": N_("Give the channel a name (at most 80 characters)."),
            "url": N_("Paste the robot's webhook address: https, on the chat app's public address."),
            "secret": N_(
                "Only DingTalk and Feishu robots have a signing secret (at most 256 characters); "
                "leave it empty for the others."
            ),
            "events": N_("Choose at least one thing to announce."),
            "max_attempts": N_("A whole number from 1 to 10."),
            "min_amount": N_("An amount of zero or more, such as 100000."),
            "locale": N_("Choose a language."),
        },
        "statuses": {
            "create.409": N_("There are already 100 channels: delete one first."),
            "test.502": N_(
                "The chat app did not accept the test message: check the webhook address and the signing secret."
            ),
            "test.429": N_(
                "This channel has sent as many messages as the chat app allows this minute: try again in a minute."
            ),
            "retry.409": N_("Its channel was deleted: this message can only be discarded."),
        },
    },
}


def field_errors_config(translate: Callable[[str], str]) -> dict[str, Any]:
    """What ``field-errors.js`` reads from the page, in one language."""
    return {
        "labels": {path: translate(label) for path, label in FIELD_LABELS.items()},
        "messages": [[pattern, translate(words)] for pattern, words in MESSAGES],
        "text": {key: translate(words) for key, words in TEXTS.items()},
        "statuses": {status: translate(words) for status, words in STATUSES.items()},
        "pages": {
            page: {part: {key: translate(words) for key, words in table.items()} for part, table in parts.items()}
            for page, parts in PAGE_WORDS.items()
        },
    }
