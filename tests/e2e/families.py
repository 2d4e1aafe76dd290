"""Both path families, so every test of a resource runs on each."""

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


@pytest.fixture(params=["default", "service"])
def family(request: pytest.FixtureRequest, client: Client) -> Family:
    if request.param == "default":
        return Family("default", "/v1", client.conversations.v1, None)
    service = client.conversations.v1.services.create(friendly_name="family test")
    return Family(
        "service",
        f"/v1/Services/{service.sid}",
        client.conversations.v1.services(service.sid),
        service.sid,
    )
