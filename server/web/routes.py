"""Every page route: sign-in, the console, the phone, the lift report and the TV."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.auth.access import ADMIN, LOGIN, PUBLIC, TEAM_MANAGER_PAGE, Access
from server.web import (
    audit,
    badges,
    console,
    dashboard,
    erase_person,
    goals_page,
    integrations,
    lift,
    people,
    phone,
    rep_page,
    rewards,
    scorecards,
    signin,
    tv,
)
from server.web import sso as sign_on

routes: list[BaseRoute] = [
    *signin.routes,
    *sign_on.routes,
    *dashboard.routes,
    *console.routes,
    *people.routes,
    *goals_page.routes,
    *rep_page.routes,
    *erase_person.routes,
    *audit.routes,
    *scorecards.routes,
    *badges.routes,
    *rewards.routes,
    *integrations.routes,
    *lift.routes,
    *phone.routes,
    *tv.routes,
]

# Who gets what from each page that changes state (server/auth/access.py), held to it by the access matrix test.
# The forms of the sign-in pages are public: they start or end a session, they act on none.
ACCESS: dict[tuple[str, str], Access] = {
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/signin/{token}"): PUBLIC,
    ("POST", "/locale"): PUBLIC,
    ("POST", "/admin/contests/{id}/flags/{flag}/decision"): TEAM_MANAGER_PAGE,
    ("POST", "/admin/reps/{id}/erase"): ADMIN.but(anonymous=LOGIN),
}
