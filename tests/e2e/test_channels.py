"""The simulated outside world: SMS/WhatsApp customers writing in (`POST /chinwag/v1/Inbound`),
what they receive (`GET /chinwag/v1/Outbound`), and their delivery receipts moving like a
carrier's, through twilio-python and raw HTTP, with every webhook signed and verified.

Each test works in an account of its own (tests/e2e/tenants.py): address configurations
and (address, proxy address) pairs belong to the account.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException

from chinwag.testing import LiveServer, twilio_client
from tests.conftest import assert_twilio_error, customer_number, wait_until
from tests.e2e.channels import FLOW, INBOUND, OUTBOUND, Shop, open_shop
from tests.e2e.tenants import new_tenant
from tests.inprocess import AppServer


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
    unreachable = shop.inbound(customer, "x", MediaUrl="http://127.0.0.1:9/cat.jpg")
    assert "could not be fetched" in assert_twilio_error(unreachable, 400, 20001)["message"]
    assert_twilio_error(shop.inbound(customer, "x", MediaUrl="ftp://127.0.0.1/cat.jpg"), 400, 20001)
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


def test_the_plugins_server_writes_in_and_reads_out_as_a_customer(
    chinwag_server: LiveServer,
) -> None:
    """`chinwag_server.inbound()` / `.outbound()`, the pytest plugin's helpers."""
    client = twilio_client(chinwag_server)
    business, customer = customer_number(), customer_number()
    client.conversations.v1.address_configurations.create(
        type="sms", address=business, auto_creation_enabled=True, auto_creation_type="default"
    )
    reached = chinwag_server.inbound(customer, business, "hello?")
    assert reached["created_conversation"] is True
    conversation = client.conversations.v1.conversations(reached["conversation_sid"])
    conversation.messages.create(author="bot", body="Hi! How can we help?")
    [answer] = chinwag_server.outbound(to=customer)
    assert (answer["from"], answer["to"], answer["body"]) == (
        business,
        customer,
        "Hi! How can we help?",
    )
    with pytest.raises(RuntimeError, match="404"):
        chinwag_server.inbound(customer_number(), customer_number(), "nobody home")


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A loopback HTTP server for `directory` (a carrier's media host); yields its URL."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_customers_media_url_is_fetched_and_stored_as_the_messages_media(
    shop: Shop, tmp_path: Path
) -> None:
    shop.configure("default")
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    (tmp_path / "cat.png").write_bytes(picture)
    with serving(tmp_path) as host:
        missing = shop.inbound(customer_number(), "", MediaUrl=f"{host}/dog.png")
        reached = shop.inbound(customer_number(), "", MediaUrl=f"{host}/cat.png")
    assert "answered HTTP 404" in assert_twilio_error(missing, 400, 20001)["message"]
    assert reached.status_code == 201, reached.text
    message = (
        shop.conversation(reached.json()["conversation_sid"])
        .messages(reached.json()["message_sid"])
        .fetch()
    )
    assert message.body is None
    [medium] = message.media
    assert (medium["content_type"], medium["filename"], medium["size"]) == (
        "image/png",
        "cat.png",
        len(picture),
    )
    content = shop.api.get(f"/chinwag/v1/Services/{shop.service}/Media/{medium['sid']}/Content")
    assert content.content == picture
