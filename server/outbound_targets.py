"""Where the server may send: https to public addresses only, unless the operator allows its own network.

An admin configures chat webhooks and CRM API bases, and the server then calls them with credentials (a
HubSpot token, a Zoho OAuth token) or on a schedule. Without limits that is a way into the server's own network:
cloud metadata at 169.254.169.254, Redis on localhost, admin panels on 10.x. So a target is checked twice:

- when a channel or connector is created, by ``target_problem`` (pure: the URL's scheme, an address written in
  it, names that are local by definition, and for CRM APIs the vendor's own hosts), to answer 422 at once;
- when a connection is made, by ``CheckedNetworkBackend``: the name is resolved, every address is checked and
  the connection goes to a checked address, so a name whose DNS answer changes (rebinding) cannot lead to a
  private one. TLS still names the host (SNI, certificate check) and so does the Host header: only the TCP
  connection is pinned.

``ARENA_OUTBOUND_ALLOW_PRIVATE=1`` lifts both for chat servers and CRMs on the operator's own network (plain
http included); the vendor host lists then no longer apply either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import httpcore

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_PRIVATE_HINT = "set ARENA_OUTBOUND_ALLOW_PRIVATE=1 for servers on your own network"
# Names that never leave the machine or the site, whatever DNS says.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet")

# The CRMs' own API hosts (their regional data centres included): a connector's API base is one of them.
HUBSPOT_HOSTS = ("hubapi.com", "hubspot.com")
ZOHO_REGIONS = ("com", "eu", "in", "com.au", "com.cn", "jp", "ca", "sa", "uk")
ZOHO_API_HOSTS = tuple(f"zohoapis.{region}" for region in ZOHO_REGIONS)
ZOHO_ACCOUNTS_HOSTS = (*(f"zoho.{region}" for region in ZOHO_REGIONS), "zohocloud.ca")


class ForbiddenTarget(Exception):
    """The target is not a public https address (and private ones are not allowed). Not worth retrying."""


def is_public(address: Address) -> bool:
    """Routable on the internet: not private, loopback, link-local, shared (CGNAT), reserved or multicast."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_allowed(host: str, hosts: Sequence[str]) -> bool:
    """``host`` is one of ``hosts`` or a name under one of them (label by label: not ``evilhubapi.com``)."""
    host = host.rstrip(".").lower()
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def target_problem(url: str, *, allow_private: bool, hosts: Sequence[str] = ()) -> str | None:
    """Why ``url`` may not be called (None: it may). Pure: names are not resolved here, the connection checks
    them (``CheckedNetworkBackend``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        return "must be an https:// URL"
    if allow_private:
        return None
    if parts.scheme != "https":
        return f"must be an https:// URL ({ALLOW_PRIVATE_HINT} to use http)"
    if hosts and not host_allowed(host, hosts):
        return f"must be a host of {', '.join(hosts)} ({ALLOW_PRIVATE_HINT})"
    address = _literal(host)
    if address is not None:
        return None if is_public(address) else f"must be a public address, not {host} ({ALLOW_PRIVATE_HINT})"
    if host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES):
        return f"must be a public host name, not {host} ({ALLOW_PRIVATE_HINT})"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for ``host`` (an address resolves to itself)."""
    answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(answer[4][0]) for answer in answers]


class CheckedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address check in front: resolve, refuse what is not public, connect
    to the checked address. httpcore starts TLS on the stream with the URL's host name, so SNI, the
    certificate check and the Host header stay those of the name."""

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None, resolve_timeout: float = 5.0) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver
        self.resolve_timeout = resolve_timeout
        self.inner = httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` this server may connect to, in the resolver's order."""
        try:
            async with asyncio.timeout(self.resolve_timeout):
                found = await self.resolver(host, port)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        if self.allow_private:
            return list(found)
        usable = [a for a in found if (address := _literal(a.partition("%")[0])) is not None and is_public(address)]
        if not usable:
            raise ForbiddenTarget(f"{host} resolves to no public address ({ALLOW_PRIVATE_HINT})")
        return usable

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in await self.addresses(host, port):
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenTarget("unix sockets are not an outbound target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
