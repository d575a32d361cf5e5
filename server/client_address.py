"""Who is asking: the one place the client's address is worked out, for HTTP and for websockets alike.

Per-address limits (logins, websocket connections) only mean something if the address cannot be chosen
by the client. Behind a proxy the peer is the proxy and the client is named in ``X-Forwarded-For``, a list
every proxy appends to. Anyone can send that header with made-up entries on the left, so the list is read
from the right: entries added by our own proxies (``ARENA_TRUSTED_PROXIES``, addresses or networks) are
skipped, and the first one that is not ours is the client, as our outermost proxy saw it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedProxies = tuple[Network, ...]
LOOPBACK: TrustedProxies = (ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1"))


def parse_trusted_proxies(text: str) -> TrustedProxies:
    """``"127.0.0.1, 172.28.0.0/16"`` as networks; ValueError names the entry that is not one. "*" is refused:
    trusting every peer lets any client name its own address."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item == "*":
            raise ValueError('"*" would let any client choose its address: list the proxies\' addresses or networks')
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: str | None, trusted: TrustedProxies) -> bool:
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in network for network in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: TrustedProxies) -> str | None:
    """The client: the peer itself unless it is one of our proxies; then the right-most ``X-Forwarded-For``
    entry that is not one of ours (an entry that is no address ends the walk: the peer is kept). ``forwarded_for``
    holds the header's values in the order received."""
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer
        if not any(address in network for network in trusted):
            return str(address)
    return str(_address(hops[0])) if hops else peer  # every hop is ours: the first one asked


def _header_values(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def resolve_scope(scope: dict[str, Any], trusted: TrustedProxies) -> None:
    """Rewrite an ASGI scope's ``client`` (and ``scheme``, from ``X-Forwarded-Proto``) when the peer is a
    trusted proxy."""
    peer = scope.get("client")
    host = peer[0] if peer else None
    if not is_trusted(host, trusted):
        return
    headers = scope.get("headers") or ()
    client = client_address(host, _header_values(headers, b"x-forwarded-for"), trusted)
    if client is not None and client != host:
        scope["client"] = (client, 0)
    proto = _header_values(headers, b"x-forwarded-proto")
    if proto and proto[-1].strip() in ("http", "https"):
        secure = proto[-1].strip() == "https"
        if scope["type"] == "websocket":
            scope["scheme"] = "wss" if secure else "ws"
        else:
            scope["scheme"] = "https" if secure else "http"


class ClientAddressMiddleware:
    """ASGI middleware: every request sees the client's address as ``request.client``."""

    def __init__(self, app: Any, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            resolve_scope(scope, self.trusted)
        await self.app(scope, receive, send)
