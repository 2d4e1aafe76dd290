"""An account that plays a business on SMS: its service's post-event webhook hears every
channel event, it has a number, and helpers write in as a customer and read what
customers received (for test_channels.py, test_carrier.py and test_sms_bot.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chinwag.testing import ReceivedRequest, WebhookReceiver
from tests.conftest import Api, customer_number
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

INBOUND = "/chinwag/v1/Inbound"
OUTBOUND = "/chinwag/v1/Outbound"
FLOW = "FW" + "b" * 32
SERVICE_EVENTS = ["onConversationAdded", "onParticipantAdded", "onMessageAdded"]
SERVICE_EVENTS += ["onDeliveryUpdated", "onConversationStateUpdated"]


@dataclass
class Shop:
    """An account with a service whose post-event webhook hears every channel event, and a
    business number; `receiver` checks signatures with the account's auth token."""

    tenant: Tenant
    receiver: WebhookReceiver
    service: str
    number: str

    @property
    def api(self) -> Api:
        return self.tenant.api

    def configure(self, auto_creation_type: str = "webhook", **more: Any) -> Any:
        """An address configuration for the business number, auto-creating in the service."""
        params: dict[str, Any] = {
            "type": "sms",
            "address": self.number,
            "auto_creation_enabled": True,
            "auto_creation_type": auto_creation_type,
            "auto_creation_conversation_service_sid": self.service,
        }
        if auto_creation_type == "webhook":
            params["auto_creation_webhook_url"] = self.receiver.url + "/bot"
            params["auto_creation_webhook_method"] = "POST"
            params["auto_creation_webhook_filters"] = ["onMessageAdded"]
        if auto_creation_type == "studio":
            params["auto_creation_studio_flow_sid"] = FLOW
        params.update(more)
        return self.tenant.client.conversations.v1.address_configurations.create(**params)

    def inbound(self, from_: str, body: str, to: str | None = None, **more: Any) -> Any:
        return self.api.post(
            INBOUND, {"From": from_, "To": to or self.number, "Body": body, **more}
        )

    def conversation(self, sid: str) -> Any:
        return self.tenant.client.conversations.v1.services(self.service).conversations(sid)

    def events(self, event_type: str, path: str = "/service") -> list[ReceivedRequest]:
        return [
            request
            for request in self.receiver.requests
            if request.form.get("EventType") == event_type and request.url.endswith(path)
        ]

    def outbound(self, **params: str) -> list[dict[str, Any]]:
        response = self.api.get(OUTBOUND, params=params)
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()["messages"]
        return listed


@contextmanager
def open_shop(server: AppServer) -> Iterator[Shop]:
    tenant = new_tenant(server, "shop")
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        service = tenant.client.conversations.v1.services.create(friendly_name="shop").sid
        tenant.client.conversations.v1.services(service).configuration.webhooks().update(
            post_webhook_url=receiver.url + "/service", method="POST", filters=SERVICE_EVENTS
        )
        yield Shop(tenant, receiver, service, customer_number())
    finally:
        receiver.stop()


@pytest.fixture
def shop(app_server: AppServer) -> Iterator[Shop]:
    with open_shop(app_server) as opened:
        yield opened
