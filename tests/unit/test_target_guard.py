"""The --deny-private-targets address rule, as a table, and its resolution (no network used)."""

import asyncio
import socket
from typing import Any

import pytest

from chinwag.delivery.target_guard import (
    DeniedTarget,
    GuardedResolver,
    check_host,
    check_url,
    is_denied,
    literal_address,
)


@pytest.mark.parametrize(
    ("address", "denied"),
    [
        ("127.0.0.1", True),  # loopback
        ("127.255.0.9", True),
        ("::1", True),
        ("10.0.0.1", True),  # RFC 1918
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("fd12:3456::1", True),  # ULA fc00::/7
        ("169.254.10.10", True),  # link-local
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("0.0.0.0", True),  # unspecified
        ("::", True),
        ("224.0.0.1", True),  # multicast
        ("ff02::1", True),
        ("240.0.0.1", True),  # reserved
        ("255.255.255.255", True),
        ("100.64.0.1", True),  # CGNAT
        ("100.127.255.254", True),
        ("169.254.169.254", True),  # metadata: AWS, GCP, Azure
        ("169.254.170.2", True),  # AWS ECS
        ("fd00:ec2::254", True),  # AWS IPv6
        ("100.100.100.200", True),  # Alibaba
        ("192.0.0.192", True),  # Oracle
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("::ffff:10.1.2.3", True),
        ("::ffff:169.254.169.254", True),
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", True),  # NAT64 of 10.0.0.1
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("100.63.255.255", False),  # just below CGNAT
        ("100.128.0.0", False),  # just above
        ("::ffff:8.8.8.8", False),  # IPv4-mapped public
        ("2002:808:808::", False),  # 6to4 of 8.8.8.8
        ("64:ff9b::808:808", False),  # NAT64 of 8.8.8.8
        ("2606:4700:4700::1111", False),
    ],
)
def test_address_rule(address: str, denied: bool) -> None:
    parsed = literal_address(address)
    assert parsed is not None
    assert is_denied(parsed) is denied


def test_literal_address_takes_brackets_and_refuses_names() -> None:
    assert str(literal_address("[::1]")) == "::1"
    assert literal_address("localhost") is None
    assert literal_address("127.1") is None  # not canonical: a name to resolve, not an IP


def fake_getaddrinfo(monkeypatch: pytest.MonkeyPatch, answer: list[str] | None) -> None:
    """The loop's getaddrinfo answers `answer` (None: the name does not resolve)."""

    async def getaddrinfo(self: Any, host: str, port: Any, **kwargs: Any) -> list[Any]:
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
            for a in answer
        ]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        (["93.184.216.34"], False),
        (["93.184.216.34", "2606:2800:220:1::1"], False),
        (["93.184.216.34", "10.0.0.7"], True),  # any private address refuses
        (["169.254.169.254"], True),
        (None, True),  # does not resolve: fail closed
    ],
)
def test_names_are_resolved_and_every_address_checked(
    monkeypatch: pytest.MonkeyPatch, answer: list[str] | None, refused: bool
) -> None:
    fake_getaddrinfo(monkeypatch, answer)
    if refused:
        with pytest.raises(DeniedTarget):
            asyncio.run(check_url("https://hooks.example.com/x"))
    else:
        asyncio.run(check_url("https://hooks.example.com/x"))


def test_literals_are_checked_without_resolving(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_getaddrinfo(monkeypatch, None)  # any lookup would refuse
    asyncio.run(check_host("93.184.216.34"))
    asyncio.run(check_url("http://[2606:4700:4700::1111]:8080/x"))
    with pytest.raises(DeniedTarget, match=r"10\.0\.0\.1"):
        asyncio.run(check_url("http://10.0.0.1/hook"))
    with pytest.raises(DeniedTarget):
        asyncio.run(check_url("http://[::ffff:127.0.0.1]:9/hook"))


def test_localhost_is_refused_after_a_real_local_lookup() -> None:
    with pytest.raises(DeniedTarget, match="localhost"):
        asyncio.run(check_host("localhost"))


def test_the_send_time_resolver_refuses_what_resolves_to_a_denied_address() -> None:
    async def resolve(host: str) -> None:
        resolver = GuardedResolver()
        try:
            await resolver.resolve(host, 80)
        finally:
            await resolver.close()

    with pytest.raises(DeniedTarget):
        asyncio.run(resolve("localhost"))
