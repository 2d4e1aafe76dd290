"""Which webhook targets `--deny-private-targets` refuses: one rule, used twice.

A server that sends HTTP requests to URLs its users choose can be made to reach
what only it can reach (server-side request forgery): its own loopback, the
private network, a cloud metadata service. With the guard on, a target is
refused when its host is, or resolves to, such an address: when a webhook URL is
configured (resources) and again for every request sent (the sender's
resolver), because a name can resolve to another address by then (DNS
rebinding). The address checked at send time is the address connected to.
"""

import asyncio
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

DENIED_ERROR = "denied_private_target"  # the error class in the attempt log
RESOLVE_TIMEOUT = 5.0

IPAddress = IPv4Address | IPv6Address

# Cloud metadata services: AWS, GCP, Azure and Oracle's 169.254.169.254, AWS ECS
# 169.254.170.2, AWS IPv6 fd00:ec2::254, Alibaba 100.100.100.200, Oracle 192.0.0.192.
# Most fall in the ranges below too; named so that no range change lets them through.
METADATA = frozenset(
    ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
SHARED = ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598): `is_private` omits it
NAT64 = ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address


class DeniedTarget(OSError):
    """A target the guard refuses; an OSError so aiohttp passes it through its connector."""


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (::ffff:a.b.c.d, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_denied(address: IPAddress) -> bool:
    """Loopback, private, link-local, reserved, multicast, unspecified, CGNAT or metadata."""
    if isinstance(address, IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_denied(inner)
    if address in METADATA or (isinstance(address, IPv4Address) and address in SHARED):
        return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def literal_address(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (brackets allowed), else None."""
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """Raise DeniedTarget if any of the addresses `host` stands for is denied."""
    for address in addresses:
        if is_denied(address):
            shown = host if host == str(address) else f"{host} ({address})"
            raise DeniedTarget(f"{shown} is a loopback, private, link-local or metadata address")


def check_literal(host: str) -> bool:
    """Raise DeniedTarget if `host` is a denied IP literal; True if it is an IP literal."""
    literal = literal_address(host)
    if literal is not None:
        check_addresses(host, [literal])
    return literal is not None


async def check_host(host: str) -> None:
    """Refuse a host that is or resolves to a denied address, or does not resolve at all.

    Resolves with the event loop's getaddrinfo (in its executor: the loop never blocks).
    """
    if check_literal(host):
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except (OSError, UnicodeError):  # gaierror and TimeoutError are OSErrors
        raise DeniedTarget(f"{host} does not resolve") from None
    check_addresses(host, [ip_address(info[4][0]) for info in infos])


async def check_url(url: str) -> None:
    """`check_host` for an http(s) URL's host; a URL without one is left to validation."""
    try:
        host = urlsplit(url).hostname
    except ValueError:  # not a URL at all: validation refuses it
        return
    if host:
        await check_host(host)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to a denied address.

    aiohttp connects only to the addresses a resolver returns, so every address
    connected to was checked here. IP literals never reach a resolver: the sender
    checks those itself.
    """

    def __init__(self) -> None:
        self._inner = ThreadedResolver()  # the loop's getaddrinfo

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        check_addresses(host, [ip_address(result["host"]) for result in results])
        return results

    async def close(self) -> None:
        await self._inner.close()
