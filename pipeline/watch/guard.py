"""Where the watch may connect: feed addresses checked by httpx's rules, and the SSRF guard.

A feed URL, or any redirect it leads to, could point at the centre's own network
(a router's admin page, a database port, a cloud metadata service). The guard sits
where connections are made: every host name is resolved here, every address it
resolves to is checked, and the connection goes to the checked address itself, so a
name that resolves differently a moment later (DNS rebinding) gains nothing. It runs
for every connection, hence for every redirect hop. Nothing is sent to a refused
address, so the error says the same whether something listens there or not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import certifi
import httpcore
import httpx

from pipeline.watch.links import is_web_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
# The NAT64 prefix whose addresses carry an IPv4 address in their last 32 bits (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def url_problem(url: str) -> str | None:
    """What is wrong with a feed address, or None: the checks httpx applies before fetching."""
    if not is_web_url(url):
        return "the address must be an absolute http:// or https:// URL"
    try:
        httpx.Request("GET", url.strip())  # what building the request checks, its Host header included
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors
        return f"not a valid web address ({exc}); check how it is spelt"
    return None


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """`watch.allow_private` as networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


class ForbiddenAddress(Exception):
    """A connection refused by the guard before anything was sent."""


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, except the networks the configuration allows."""

    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, host: str, address: str) -> str | None:
        """Why `host`, resolved to `address`, may not be connected to; None if it may."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
        if any(ip in network for network in self.allowed if network.version == ip.version):
            return None
        kind = _kind(ip)
        if kind is None:
            return None
        named = host if host == address else f"{host} resolves to {address}, which"
        return (
            f"refused: {named} is a {kind} address; the watch fetches only public addresses "
            "(to watch a feed inside your network, add its network to watch.allow_private)"
        )


def _kind(ip: IPAddress) -> str | None:
    """The kind of non-public address `ip` is (or carries), None for a public one."""
    if ip.version == 6:
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            if inner is not None and _kind(inner) is not None:
                return _kind(inner)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"  # where cloud metadata services answer
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved, non-public"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolves `host` to, in its order of preference."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for *_, sockaddr in infos:
        seen.setdefault(sockaddr[0], None)
    return list(seen)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with every resolved address checked before connecting."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ):
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve `host`, refuse it if any address is not allowed, else connect to an address."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:g} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: {exc.strerror or exc}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        # One forbidden address refuses the name: a name that mixes public and private
        # answers is either misconfigured or an attack, and the next answer may differ.
        for address in addresses:
            refusal = self.policy.refusal(host, address)
            if refusal:
                raise ForbiddenAddress(refusal)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error  # type: ignore[misc]

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None) -> typing.NoReturn:
        """Never: feeds are fetched over TCP only."""
        raise ForbiddenAddress("refused: feeds are not fetched over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting only through a `GuardedBackend`, never through a proxy.

    Proxies from the environment are not used: behind a proxy the guard would check the
    proxy's address, not the feed's.
    """

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits):
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
