"""The simulated outside world: SMS/WhatsApp customers writing in (`POST /chinwag/v1/Inbound`),
what they receive (`GET /chinwag/v1/Outbound`), and their delivery receipts moving like a
carrier's, through twilio-python and raw HTTP, with every webhook signed and verified.

Each test works in an account of its own (tests/e2e/tenants.py): address configurations
and (address, proxy address) pairs belong to the account.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from chinwag.testing import ReceivedRequest, WebhookReceiver
from tests.conftest import Api, app_and_receiver, assert_twilio_error, customer_number
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


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """`check()`'s first true value, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(0.05)


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


def test_a_customer_writing_to_a_webhook_address_auto_creates_a_conversation(shop: Shop) -> None:
    shop.configure()
    customer = customer_number()
    response = shop.inbound(customer, "Hi, where is my order?")  # no X-Twilio-Webhook-Enabled
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created_conversation"] is True and body["chat_service_sid"] == shop.service
    conversation = shop.conversation(body["conversation_sid"])
    [participant] = conversation.participants.list()
    assert participant.sid == body["participant_sid"]
    binding = participant.messaging_binding
    assert (binding["address"], binding["proxy_address"]) == (customer, shop.number)
    [webhook] = conversation.webhooks.list()
    assert (webhook.target, webhook.configuration["url"]) == ("webhook", shop.receiver.url + "/bot")
    [message] = conversation.messages.list()
    assert (message.sid, message.author, message.body) == (
        body["message_sid"],
        customer,
        "Hi, where is my order?",
    )
    assert message.participant_sid == participant.sid

    # Every matching webhook fires although the request had no header, Source SMS.
    wait_until(lambda: shop.events("onMessageAdded", "/bot") and shop.events("onMessageAdded"))
    for event in ("onConversationAdded", "onParticipantAdded", "onMessageAdded"):
        [request] = shop.events(event)
        assert request.signature_valid and request.form["Source"] == "SMS"
        assert request.form["ConversationSid"] == body["conversation_sid"]
    [bot] = shop.events("onMessageAdded", "/bot")
    assert bot.signature_valid and bot.form["Author"] == customer
    assert bot.form["ParticipantSid"] == participant.sid
    # The customer wrote the message: nothing is sent back to them.
    assert shop.outbound(ConversationSid=body["conversation_sid"]) == []


def test_studio_and_default_auto_creation(app_server: AppServer) -> None:
    for kind in ("studio", "default"):
        with open_shop(app_server) as shop:
            shop.configure(kind)
            body = shop.inbound(customer_number(), "hello").json()
            webhooks = shop.conversation(body["conversation_sid"]).webhooks.list()
            if kind == "studio":
                [webhook] = webhooks
                assert (webhook.target, webhook.configuration["flow_sid"]) == ("studio", FLOW)
            else:
                assert webhooks == []


def test_auto_creation_uses_the_default_service_without_one_configured(shop: Shop) -> None:
    shop.tenant.client.conversations.v1.address_configurations.create(
        type="sms", address=shop.number, auto_creation_enabled=True, auto_creation_type="default"
    )
    body = shop.inbound(customer_number(), "hello").json()
    assert body["chat_service_sid"] != shop.service
    conversation = shop.tenant.client.conversations.v1.conversations(body["conversation_sid"])
    assert conversation.fetch().chat_service_sid == body["chat_service_sid"]


def test_the_pair_holder_takes_the_next_message_and_wakes_up(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    first = shop.inbound(customer, "one").json()
    conversation = shop.conversation(first["conversation_sid"])
    conversation.update(state="inactive")
    second = shop.inbound(customer, "two")
    assert second.status_code == 201, second.text
    assert second.json()["created_conversation"] is False
    assert second.json()["conversation_sid"] == first["conversation_sid"]
    assert second.json()["participant_sid"] == first["participant_sid"]
    assert conversation.fetch().state == "active"
    assert [m.body for m in conversation.messages.list()] == ["one", "two"]
    [woken] = wait_until(lambda: shop.events("onConversationStateUpdated"))
    assert (woken.form["StateTo"], woken.form["Reason"]) == ("active", "EVENT")


def test_a_conversation_made_over_rest_takes_the_customers_message(shop: Shop) -> None:
    """No address configuration is needed when a conversation already holds the pair."""
    customer = customer_number()
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations
    created = conversation.create(friendly_name="outreach")
    created.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
    )
    body = shop.inbound(customer, "yes please").json()
    assert (body["conversation_sid"], body["created_conversation"]) == (created.sid, False)


def test_without_a_holder_or_configuration_nothing_is_created(shop: Shop) -> None:
    response = shop.inbound(customer_number(), "anyone?")
    body = assert_twilio_error(response, 404, 20404)
    assert "no Address Configuration" in body["message"] and "Messaging Service" in body["message"]
    shop.configure("default", auto_creation_enabled=False)
    assert_twilio_error(shop.inbound(customer_number(), "anyone?"), 404, 20404)
    assert shop.tenant.client.conversations.v1.services(shop.service).conversations.list() == []


def test_invalid_inbound_messages_are_refused(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    assert_twilio_error(shop.api.post(INBOUND, {"To": shop.number, "Body": "x"}), 400, 20001)
    assert_twilio_error(shop.api.post(INBOUND, {"From": customer, "Body": "x"}), 400, 20001)
    assert_twilio_error(shop.inbound(customer, ""), 400, 50503)
    assert_twilio_error(shop.inbound("whatsapp:" + customer, "x"), 400, 20001)  # mixed channels
    media = shop.inbound(customer, "x", MediaUrl="https://example.com/cat.jpg")
    assert "MediaUrl" in assert_twilio_error(media, 400, 20001)["message"]
    assert shop.tenant.client.conversations.v1.services(shop.service).conversations.list() == []


def test_the_pair_rule_holds_across_inbound_auto_creation(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    first = shop.inbound(customer, "one").json()
    other = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    with pytest.raises(TwilioRestException) as refused:
        other.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
        )
    assert (refused.value.status, refused.value.code) == (409, 50416)
    # A closed conversation gives the pair up: the next message auto-creates a new one.
    shop.conversation(first["conversation_sid"]).update(state="closed")
    again = shop.inbound(customer, "two").json()
    assert again["created_conversation"] is True
    assert again["conversation_sid"] != first["conversation_sid"]


def test_a_pre_event_webhook_can_reject_or_change_an_inbound_message(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    first = shop.inbound(customer, "one").json()
    hooks = shop.tenant.client.conversations.v1.services(shop.service).configuration.webhooks()
    hooks.update(pre_webhook_url=shop.receiver.url + "/pre", filters=["onMessageAdd"])
    shop.receiver.scripts["/pre"] = [403]
    assert_twilio_error(shop.inbound(customer, "spam"), 403, 20403)
    [asked] = [r for r in shop.receiver.requests if r.url.endswith("/pre")]
    assert asked.signature_valid and asked.form["EventType"] == "onMessageAdd"
    assert (asked.form["Source"], asked.form["Author"]) == ("SMS", customer)
    shop.receiver.body = b'{"body": "[redacted]"}'
    assert shop.inbound(customer, "my card is 4111").status_code == 201
    messages = shop.conversation(first["conversation_sid"]).messages.list()
    assert [m.body for m in messages] == ["one", "[redacted]"]


def test_an_agents_reply_reaches_each_customer_with_a_receipt(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    body = shop.inbound(customer, "help").json()
    conversation = shop.conversation(body["conversation_sid"])
    conversation.participants.create(identity="agent-" + customer)
    reply = conversation.messages.create(author="agent-" + customer, body="On its way!")

    [sent] = shop.outbound(To=customer)
    assert (sent["from"], sent["to"], sent["body"]) == (shop.number, customer, "On its way!")
    assert sent["message_sid"] == reply.sid and sent["participant_sid"] == body["participant_sid"]
    assert sent["sid"].startswith("SM") and sent["status"] in ("sent", "delivered")
    [receipt] = conversation.messages(reply.sid).delivery_receipts.list()
    assert (receipt.sid, receipt.channel_message_sid) == (sent["delivery_receipt_sid"], sent["sid"])

    # `sent`, then `delivered` after --receipt-delay (1 s by default), each fired.
    delivered = wait_until(
        lambda: [e for e in shop.events("onDeliveryUpdated") if e.form["Status"] == "delivered"]
    )
    statuses = [e.form["Status"] for e in shop.events("onDeliveryUpdated")]
    assert statuses == ["sent", "delivered"]
    form = delivered[0].form
    assert delivered[0].signature_valid
    assert (form["DeliveryReceiptSid"], form["ChannelMessageSid"]) == (receipt.sid, sent["sid"])
    assert (form["MessageSid"], form["ParticipantSid"]) == (reply.sid, body["participant_sid"])
    assert (form["ErrorCode"], form["ChatServiceSid"]) == ("0", shop.service)
    assert shop.outbound(To=customer)[0]["status"] == "delivered"
    assert conversation.messages(reply.sid).fetch().delivery == {
        "total": 1,
        "sent": "all",
        "delivered": "all",
        "read": "none",
        "failed": "none",
        "undelivered": "none",
    }


@pytest.mark.parametrize(("number", "code"), [("+15005550001", 21211), ("+15005550009", 21614)])
def test_magic_numbers_fail_with_twilios_codes(shop: Shop, number: str, code: int) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    conversation.participants.create(
        messaging_binding_address=number, messaging_binding_proxy_address=shop.number
    )
    message = conversation.messages.create(author="agent", body="hello?")
    [sent] = shop.outbound(To=number)
    assert (sent["status"], sent["error_code"]) == ("failed", code)
    [receipt] = conversation.messages(message.sid).delivery_receipts.list()
    assert (receipt.status, receipt.error_code) == ("failed", code)
    [report] = wait_until(lambda: shop.events("onDeliveryUpdated"))
    assert (report.form["Status"], report.form["ErrorCode"]) == ("failed", str(code))
    assert conversation.messages(message.sid).fetch().delivery["failed"] == "all"
    time.sleep(1.2)  # past the receipt delay: a failed receipt is never delivered
    assert shop.outbound(To=number)[0]["status"] == "failed"


def test_whatsapp_recipients_get_wa_sids(shop: Shop) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customer = "whatsapp:" + customer_number()
    conversation.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address="whatsapp:+15550000"
    )
    conversation.messages.create(author="agent", body="hola")
    [sent] = shop.outbound(To=customer)
    assert sent["sid"].startswith("WA") and sent["from"] == "whatsapp:+15550000"


def test_a_carrier_report_moves_any_receipt(shop: Shop) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customer = customer_number()
    conversation.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
    )
    message = conversation.messages.create(author="agent", body="read me")
    [sent] = shop.outbound(To=customer)
    path = f"/chinwag/v1/Receipts/{sent['delivery_receipt_sid']}"
    read = shop.api.post(path, {"Status": "read"})
    assert read.status_code == 200, read.text
    assert (read.json()["status"], read.json()["sid"]) == ("read", sent["delivery_receipt_sid"])
    assert conversation.messages(message.sid).fetch().delivery["read"] == "all"
    time.sleep(1.2)  # the pending `delivered` was replaced by the report: it stays read
    assert shop.outbound(To=customer)[0]["status"] == "read"
    undelivered = shop.api.post(path, {"Status": "undelivered", "ErrorCode": "30003"})
    assert (undelivered.json()["status"], undelivered.json()["error_code"]) == (
        "undelivered",
        30003,
    )
    reports = wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 3)
    assert reports and [e.form["Status"] for e in shop.events("onDeliveryUpdated")] == [
        "sent",
        "read",
        "undelivered",
    ]
    assert_twilio_error(shop.api.post(path, {"Status": "lost"}), 400, 20001)
    assert_twilio_error(shop.api.post(path, {"Status": "delivered", "ErrorCode": "1"}), 400, 20001)
    assert_twilio_error(
        shop.api.post("/chinwag/v1/Receipts/DYnope", {"Status": "read"}), 404, 20404
    )


def test_another_account_sees_and_moves_nothing(shop: Shop, app_server: AppServer) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customer = customer_number()
    conversation.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
    )
    conversation.messages.create(author="agent", body="private")
    [sent] = shop.outbound(To=customer)
    stranger = new_tenant(app_server, "stranger").api
    assert stranger.get(OUTBOUND).json()["messages"] == []
    path = f"/chinwag/v1/Receipts/{sent['delivery_receipt_sid']}"
    assert_twilio_error(stranger.post(path, {"Status": "read"}), 404, 20404)
    assert_twilio_error(
        stranger.post(INBOUND, {"From": customer, "To": shop.number, "Body": "x"}), 404, 20404
    )


def test_outbound_lists_newest_first_with_filters_and_pages(shop: Shop) -> None:
    conversation = shop.tenant.client.conversations.v1.services(shop.service).conversations.create()
    customers = [customer_number(), customer_number(), "+15005550004"]
    for customer in customers:
        conversation.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
        )
    for text in ("first", "second"):
        conversation.messages.create(author="agent", body=text)
    listed = shop.outbound()
    assert [(m["body"], m["to"]) for m in listed] == [
        ("second", customers[2]),
        ("second", customers[1]),
        ("second", customers[0]),
        ("first", customers[2]),
        ("first", customers[1]),
        ("first", customers[0]),
    ]
    assert [m["body"] for m in shop.outbound(To=customers[0])] == ["second", "first"]
    assert len(shop.outbound(ConversationSid=conversation.sid)) == 6
    assert shop.outbound(ConversationSid="CH" + "0" * 32) == []
    failed = shop.outbound(Status="failed")
    assert [(m["to"], m["error_code"]) for m in failed] == [(customers[2], 21610)] * 2
    page = shop.api.get(OUTBOUND, params={"PageSize": 4, "To": customers[1]}).json()
    assert page["meta"]["key"] == "messages" and page["meta"]["page_size"] == 4
    page = shop.api.get(OUTBOUND, params={"PageSize": 4}).json()
    assert len(page["messages"]) == 4 and page["meta"]["next_page_url"]
    rest = shop.api.get(page["meta"]["next_page_url"]).json()["messages"]
    assert [m["sid"] for m in page["messages"] + rest] == [m["sid"] for m in listed]
    assert_twilio_error(shop.api.get(OUTBOUND, params={"Status": "lost"}), 400, 20001)


def test_with_no_receipt_delay_receipts_are_delivered_at_once(database_url: str) -> None:
    with (
        app_and_receiver(database_url, receipt_delay=0.0) as (server, _),
        open_shop(server) as shop,
    ):
        customer = customer_number()
        conversation = shop.tenant.client.conversations.v1.services(shop.service)
        created = conversation.conversations.create()
        created.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=shop.number
        )
        created.messages.create(author="agent", body="now")
        assert shop.outbound(To=customer)[0]["status"] == "delivered"
        statuses = wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 2)
        assert statuses and [e.form["Status"] for e in shop.events("onDeliveryUpdated")] == [
            "sent",
            "delivered",
        ]
