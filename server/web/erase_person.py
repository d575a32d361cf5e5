"""The console's "Erase this person" (``POST /admin/reps/{id}/erase``, from the rep's page): an admin types the rep
id to confirm, and the erasure of ``server/services/person_erasure.py`` runs (the same as ``DELETE
/api/v1/people/{rep}``); the answer page names the pseudonym, what each section changed and what stays outside the
system. Managers and reps are refused (403); the form carries the CSRF token like every console form."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from server.auth.csrf import form_fields
from server.http import arena_of, principal_of
from server.services.person_erasure import ErasureRunning, NotARep, erase_person
from server.web.console import console_context
from server.web.render import page
from server.web.rep_page import render_rep


async def erase_form(request: Request) -> Response:
    principal = await principal_of(request)
    if principal is None:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
    if principal.role != "admin":
        return PlainTextResponse("admins only", status_code=403)
    rep_id = request.path_params["id"]
    fields = await form_fields(request)
    if rep_id not in (await arena_of(request).registry.current()).directory.reps:
        return await render_rep(request, principal, status=404)
    if fields.get("confirm", "").strip() != rep_id:
        return await render_rep(request, principal, erase_refused=True, status=422)
    try:
        result = await erase_person(arena_of(request), rep_id, principal.name)
    except NotARep:
        return await render_rep(request, principal, status=404)
    except ErasureRunning:
        return PlainTextResponse("another erasure is running: try again when it has finished", status_code=409)
    context = await console_context(request, principal)
    return page(request, "console/erased.html", section="people", result=result, **context)


routes = [Route("/admin/reps/{id}/erase", erase_form, methods=["POST"])]
