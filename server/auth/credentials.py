"""Which credential a request presents: exactly one of an API key or display token in ``Authorization: Bearer``,
a token in the query (``?token=``, what TVs and shared links carry) or the session cookie.

It is chosen once per request, before anything is judged: the CSRF middleware and ``principal_for`` both read
the same choice, so a request can never pass CSRF as "not a cookie request" and then be served as the
cookie's user. A credential that is presented but malformed (an empty or repeated ``token``, an
``Authorization`` header that is not ``Bearer <key>``) or two explicit ones at once make the request invalid:
it is refused with 401, never answered with another credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import Scope

from server.auth.sessions import SESSION_COOKIE

Kind = Literal["bearer", "token", "session", "none", "invalid"]
STATE_KEY = "credential"


@dataclass(frozen=True)
class Credential:
    kind: Kind
    secret: str = ""  # the key or token for "bearer" and "token"
    problem: str = ""  # why an "invalid" credential is refused

    @property
    def ambient(self) -> bool:
        """Sent by the browser on its own, so a cross-site page could use it: CSRF applies."""
        return self.kind == "session"


def choose_credential(headers: Headers, query_string: bytes) -> Credential:
    """The one credential presented (pure: the request's headers and query string in, the choice out)."""
    authorizations = headers.getlist("authorization")
    tokens = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("token", [])
    if len(authorizations) > 1 or (authorizations and tokens):
        return Credential("invalid", problem="send one credential: an Authorization header or ?token=, not both")
    if authorizations:
        scheme, _, value = authorizations[0].partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return Credential("invalid", problem="the Authorization header must be: Bearer <key>")
        return Credential("bearer", value.strip())
    if len(tokens) > 1:
        return Credential("invalid", problem="send the token parameter once")
    if tokens:
        return Credential("token", tokens[0]) if tokens[0] else Credential("invalid", problem="the token is empty")
    if SESSION_COOKIE in cookie_parser(headers.get("cookie", "")):
        return Credential("session")
    return Credential("none")


def credential_of(scope: Scope) -> Credential:
    """The request's credential, chosen on first use and kept in its state (``request.state.credential``)."""
    state = scope.setdefault("state", {})
    chosen = state.get(STATE_KEY)
    if not isinstance(chosen, Credential):
        chosen = choose_credential(Headers(scope=scope), scope.get("query_string", b""))
        state[STATE_KEY] = chosen
    return chosen
