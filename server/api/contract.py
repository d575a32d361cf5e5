"""What an API operation declares, once, beside its handler: who may call it, the body it takes (a msgspec
``Struct``, which also decodes and validates it), the answer it gives, its query parameters and the client
errors it documents, each with an example request that provokes it.

``ApiRoute`` is a Starlette ``Route`` that carries its ``Operation``; ``server/api/openapi.py`` walks the
app's routes and writes the OpenAPI document from these declarations, and ``tests/test_api_contract.py``
sends every declared example to a real server.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as member
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.codec import ANY_MEDIA, check_media
from server.auth.access import Access

# Who may call: the roles named in server/auth/principals.py. "public" needs nothing (or, for hooks, the CRM's
# own signature); "session" is a signed-in browser; the rest take a bearer key or a session.
AUTH = {
    "public": "No authentication.",
    "hook": "No API key: each CRM's own scheme (HubSpot v3 signature, Pipedrive basic auth, Salesforce org and "
    "action ids, Zoho token, generic HMAC) is checked; see docs/integrations/.",
    "admin": "An admin API key or admin session.",
    "manage": "An admin or manager (managers: their own teams and contests).",
    "ingest": "An ingest or admin API key.",
    "read": "Any key or session except ingest-only keys; displays only what their slides show (their boards and "
    "contests, the badge wall with a badge-wall slide).",
    "people": "Admins and read keys; managers for their teams' reps; a rep for their own data.",
    "rep": "A rep's session (the phone app).",
    "session": "A signed-in browser session.",
}

MISSING = "nope-404"
CSV_MEDIA = (
    "text/csv",
    "application/json",
)  # a CSV as text, or as JSON {"csv": "..."}  # a path value no resource has: the examples of 404 answers use it


class FieldError(msgspec.Struct):
    field: str
    message: str


class Error(msgspec.Struct, omit_defaults=True):
    """Every client error: ``error`` says what went wrong in plain words, ``errors`` names each field."""

    error: str
    errors: list[FieldError] = []


class CsvDocument(msgspec.Struct):
    """A CSV sent as JSON."""

    csv: str


@dataclass(frozen=True)
class Answer:
    """A client error the operation documents, with a request that provokes it: ``body`` (JSON, or the text of
    a ``text/csv`` body), ``query`` and ``path`` values (a path parameter not given is ``MISSING``; ``{contest}``,
    ``{rep}`` and ``{team}`` stand for ones that exist). ``field`` is the field the answer names, if any.
    ``cross_field``: a 422 from a rule the schema cannot say (an end after a start, an id that must exist), which
    a request valid by the schema may still get. ``shape``: the answer's body, ``Error`` unless the operation
    answers more (a rejected batch lists every event)."""

    status: int
    summary: str
    field: str | None = None
    body: Any = None
    query: dict[str, str] = member(default_factory=dict)
    path: dict[str, str] = member(default_factory=dict)
    media: str = "application/json"
    cross_field: bool = False
    shape: Any = Error  # the answer's body


def not_found(what: str) -> Answer:
    return Answer(404, f"no such {what}")


@dataclass(frozen=True)
class Operation:
    """One method on one path. ``body`` and ``response`` are types msgspec can describe (a ``Struct``, a list of
    one, ``dict[str, Any]``, ``str`` for CSV); ``query`` a ``Struct`` of the query parameters."""

    summary: str
    tag: str
    auth: str = "admin"
    body: Any = None
    body_media: tuple[str, ...] = ("application/json",)
    body_required: bool = True
    response: Any = None
    status: int = 200
    response_media: str = "application/json"
    query: type[msgspec.Struct] | None = None
    upsert: bool = False  # a PUT that answers 201 when it created the resource, 200 when it changed it
    path: dict[str, str] = member(default_factory=dict)  # a path parameter's pattern, where it has one
    answers: tuple[Answer, ...] = ()
    # the answer each class of caller gets (server/auth/access.py); a route without one fails the access matrix
    access: Access | None = None

    def __post_init__(self) -> None:
        assert self.auth in AUTH, self.auth


def unsupported_media(operation: Operation) -> Answer:
    """The 415 every operation with a body answers to a body in a type it does not declare."""
    return Answer(
        415, f"a body that is not {' or '.join(operation.body_media)}", "content-type", body="a=1", media="text/plain"
    )


def client_errors(operation: Operation) -> tuple[Answer, ...]:
    """The client errors an operation documents: its own, and the 415 when it takes a body."""
    takes_body = operation.body is not None and ANY_MEDIA not in operation.body_media
    return (*operation.answers, unsupported_media(operation)) if takes_body else operation.answers


def _accepting(endpoint: Callable[..., Any], media: tuple[str, ...]) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        check_media(request, media)
        response: Response = await endpoint(request)
        return response

    return checked


class ApiRoute(Route):
    """A route with its declared operation (one method per route, so each method has its own declaration). A body
    in a media type the operation does not declare is refused with 415 before the handler runs."""

    def __init__(self, path: str, endpoint: Callable[..., Any], method: str, operation: Operation) -> None:
        super().__init__(path, _accepting(endpoint, operation.body_media), methods=[method])
        self.method = method.lower()
        self.operation = operation
