"""The two path families: `/v1/...` (the default service) and `/v1/Services/{sid}/...`.

`family` runs a test on each: for what the family changes (resource URLs,
`chat_service_sid`, lookups by UniqueName under the family's root). A test of a
rule the family cannot change is marked `@one_family` and runs on the default one.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from twilio.rest import Client


@dataclass(frozen=True)
class Family:
    name: str
    root: str  # raw-HTTP path prefix: "/v1" or "/v1/Services/IS…"
    scope: Any  # twilio-python context exposing `.conversations`
    service_sid: str | None


def default(client: Client) -> Family:
    return Family("default", "/v1", client.conversations.v1, None)


def in_new_service(client: Client) -> Family:
    service = client.conversations.v1.services.create(friendly_name="family test")
    return Family(
        "service",
        f"/v1/Services/{service.sid}",
        client.conversations.v1.services(service.sid),
        service.sid,
    )


@pytest.fixture(params=["default", "service"])
def family(request: pytest.FixtureRequest, client: Client) -> Family:
    return default(client) if request.param == "default" else in_new_service(client)


one_family = pytest.mark.parametrize("family", ["default"], indirect=True)
