"""Every page route: sign-in, the console, the phone, the lift report and the TV."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.web import console, lift, phone, signin, tv

routes: list[BaseRoute] = [*signin.routes, *console.routes, *lift.routes, *phone.routes, *tv.routes]
