"""The generic signed webhook: any system (an ERP, approval flows, in-house tools) that can compute an HMAC.

With ``X-Arena-Dry-Run: 1`` the signed events are checked and nothing is kept (the console's test
delivery). ``X-Arena-Timestamp: <unix seconds>`` and ``X-Arena-Signature: sha256=<hex HMAC-SHA256(secret,
timestamp + "." + body)>``; the timestamp must be within 5 minutes, so a captured request cannot be
replayed later. The body is one canonical event or an array (as ``POST /api/v1/events``); ``rep`` is a
rep id or a CRM user id mapped through the reps' aliases for this connector.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import ApiError
from server.integrations.connectors import Connector
from server.integrations.deals import Routed
from server.integrations.pipeline import deliver, dry_run
from server.services.ingest import MAX_BATCH

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations.generic")
SIGNATURE_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Arena-Signature`` value for a body sent at ``timestamp`` (unix seconds, as a string)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> bool:
    if not timestamp.isdigit() or abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.strip().lower().encode())


def routed_events(document: Any) -> list[Routed]:
    """Each event with its ``rep`` as the CRM user to map; ValueError when the body is not events."""
    batch = document if isinstance(document, list) else [document]
    if not batch or len(batch) > MAX_BATCH:
        raise ValueError(f"send one event or an array of 1 to {MAX_BATCH} events")
    routed = []
    for index, event in enumerate(batch):
        if not isinstance(event, dict):
            raise ValueError(f"[{index}]: an event must be a JSON object")
        rep = event.get("rep")
        if not isinstance(rep, (str, int)) or isinstance(rep, bool) or str(rep) == "":
            raise ValueError(f"[{index}].rep: required, the rep id or the CRM user id")
        routed.append(Routed((str(rep),), {k: v for k, v in event.items() if k != "rep"}))
    return routed


def require_signature(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> None:
    """401 unless the body carries a fresh ``X-Arena-Signature`` made with the connector's ``secret``."""
    secret = connector.secret("secret", arena.settings.secret_key)
    timestamp = request.headers.get("x-arena-timestamp", "")
    if not verify(secret, timestamp, request.headers.get("x-arena-signature", ""), body, now_ms / 1000):
        log.warning("%s %s: bad or stale signature from %s", connector.type, connector.id, request.client)
        raise ApiError(401, f"invalid or expired X-Arena-Signature (see docs/integrations/{connector.type}.md)")


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    require_signature(arena, connector, request, body, now_ms)
    try:
        routed = routed_events(json.loads(body, parse_float=Decimal))
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors too
        raise ApiError(400, f"malformed events: {exc}") from None
    if request.headers.get("x-arena-dry-run") == "1":
        return JSONResponse(dry_run(arena, routed))
    return JSONResponse(await deliver(arena, connector, routed))
