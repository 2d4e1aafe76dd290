"""The customer who writes first (issue 30): what an auto-created conversation's webhooks
hear and are asked, on a real receiver checking every signature.

Twilio asks the pre-event webhook before each change it publishes, so a customer's first
message asks onConversationAdd, onParticipantAdd (the customer joining) and onMessageAdd,
in that order, before anything is written; onConversationAdd(ed) name the customer as
the conversation's creator (docs/events.md, "Conversation events").
"""

import json
from typing import Any

import pytest

from chinwag.testing import Answer, ReceivedRequest
from tests.conftest import assert_twilio_error, customer_number, wait_until
from tests.e2e.channels import SERVICE_EVENTS, Shop
from tests.e2e.role_helpers import default_roles

PRE_EVENTS = ["onConversationAdd", "onParticipantAdd", "onMessageAdd"]


def guard(shop: Shop, pre_events: list[str]) -> None:
    """The shop's service asks `pre_events` of the receiver's /pre; the post-events stay."""
    hooks = shop.tenant.client.conversations.v1.services(shop.service).configuration.webhooks()
    hooks.update(pre_webhook_url=shop.receiver.url + "/pre", filters=SERVICE_EVENTS + pre_events)


def asked(shop: Shop) -> list[dict[str, str]]:
    """The pre-event requests so far, each checked for its signature."""
    requests = [r for r in shop.receiver.requests if r.url.endswith("/pre")]
    assert all(r.signature_valid for r in requests)
    return [r.form for r in requests]


def heard(shop: Shop, event_type: str, path: str = "/service") -> ReceivedRequest:
    """The one `event_type` post-event delivered to `path`, waited for, its signature checked."""
    found: list[ReceivedRequest] = wait_until(
        lambda: shop.events(event_type, path), what=event_type
    )
    [request] = found
    assert request.signature_valid
    return request


def default_messaging_service(shop: Shop) -> Any:
    return shop.tenant.client.conversations.v1.configuration().fetch().default_messaging_service_sid


def test_on_conversation_added_names_the_customer_who_wrote_first(shop: Shop) -> None:
    shop.configure("default")
    customer = customer_number()
    created = shop.inbound(customer, "Hi, where is my order?").json()
    added = heard(shop, "onConversationAdded").form
    assert added["ConversationSid"] == created["conversation_sid"]
    assert added["MessagingBinding.Address"] == customer
    assert added["MessagingBinding.ProxyAddress"] == shop.number
    assert added["Source"] == "SMS"
    # Over REST there is no creator: the binding is left out (tests/e2e/test_events.py
    # checks the REST payload's exact parameter names).
    conversations = shop.tenant.client.conversations.v1.services(shop.service).conversations
    made = conversations.create(friendly_name="outreach", x_twilio_webhook_enabled="true")
    [rest] = wait_until(
        lambda: [
            r for r in shop.events("onConversationAdded") if r.form["ConversationSid"] == made.sid
        ]
    )
    assert not {"MessagingBinding.Address", "MessagingBinding.ProxyAddress"} & set(rest.form)


def test_on_conversation_add_describes_the_customer_and_their_message(shop: Shop) -> None:
    shop.configure("default")
    guard(shop, ["onConversationAdd"])
    customer = customer_number()
    created = shop.inbound(customer, "Is the shop open on Sunday?").json()
    [form] = asked(shop)
    assert form["EventType"] == "onConversationAdd" and form["Source"] == "SMS"
    assert form["ChatServiceSid"] == shop.service and "ConversationSid" not in form
    assert (form["MessagingBinding.Address"], form["MessagingBinding.ProxyAddress"]) == (
        customer,
        shop.number,
    )
    assert form["MessageBody"] == "Is the shop open on Sunday?"
    conversation = shop.conversation(created["conversation_sid"]).fetch()
    assert form["MessagingServiceSid"] == conversation.messaging_service_sid
    assert form["MessagingServiceSid"] == default_messaging_service(shop)
    assert (form["Attributes"], form["State"]) == ("{}", "active")


def test_the_first_message_asks_every_pre_event_in_twilios_order(shop: Shop) -> None:
    shop.configure("default")
    guard(shop, PRE_EVENTS)
    customer = customer_number()
    created = shop.inbound(customer, "hello").json()
    conversation_add, participant_add, message_add = asked(shop)
    assert [conversation_add["EventType"], participant_add["EventType"]] == PRE_EVENTS[:2]
    assert message_add["EventType"] == "onMessageAdd"
    # The SIDs the hooks are told are those the conversation and the customer then get.
    assert participant_add["ConversationSid"] == created["conversation_sid"]
    assert participant_add["MessagingBinding.Type"] == "SMS"
    assert participant_add["MessagingBinding.Address"] == customer
    assert participant_add["MessagingBinding.ProxyAddress"] == shop.number
    channel_user = default_roles(shop.api, f"/v1/Services/{shop.service}")["channel user"]
    assert participant_add["RoleSid"] == channel_user
    assert "ParticipantSid" not in participant_add
    assert message_add["ConversationSid"] == created["conversation_sid"]
    assert message_add["ParticipantSid"] == created["participant_sid"]
    assert (message_add["Author"], message_add["Body"]) == (customer, "hello")
    assert {form["Source"] for form in asked(shop)} == {"SMS"}
    # The next message joins the conversation: onMessageAdd alone is asked.
    shop.inbound(customer, "again")
    assert [form["EventType"] for form in asked(shop)] == [*PRE_EVENTS, "onMessageAdd"]
    assert asked(shop)[-1]["ConversationSid"] == created["conversation_sid"]


@pytest.mark.parametrize(
    ("rejected", "status"),
    [("onConversationAdd", 403), ("onParticipantAdd", 403), ("onMessageAdd", 500)],
)
def test_a_rejected_first_message_writes_and_publishes_nothing(
    shop: Shop, rejected: str, status: int
) -> None:
    shop.configure("webhook", auto_creation_webhook_filters=["onParticipantAdded"])
    guard(shop, PRE_EVENTS)
    script: list[int | Answer] = [200] * PRE_EVENTS.index(rejected)
    shop.receiver.scripts["/pre"] = [*script, status]
    customer = customer_number()
    refused = assert_twilio_error(shop.inbound(customer, "spam"), 403, 20403)
    assert rejected in refused["message"]
    assert [form["EventType"] for form in asked(shop)] == PRE_EVENTS[
        : PRE_EVENTS.index(rejected) + 1
    ]
    conversations = shop.tenant.client.conversations.v1.services(shop.service).conversations
    assert conversations.list() == []
    # Nothing was queued either: the customer's next message creates the only conversation,
    # and the webhooks hear its events alone.
    accepted = shop.inbound(customer, "hello").json()
    assert accepted["created_conversation"] is True
    heard(shop, "onMessageAdded")
    heard(shop, "onParticipantAdded", "/bot")
    for event in ("onConversationAdded", "onParticipantAdded"):
        assert heard(shop, event).form["ConversationSid"] == accepted["conversation_sid"]
    assert [c.sid for c in conversations.list()] == [accepted["conversation_sid"]]


@pytest.mark.parametrize("existing", [False, True], ids=["auto-created", "existing"])
def test_an_on_message_add_answer_sets_body_author_and_attributes(
    shop: Shop, existing: bool
) -> None:
    shop.configure("default")
    customer = customer_number()
    if existing:
        shop.inbound(customer, "first")
    guard(shop, ["onMessageAdd"])
    attributes = json.dumps({"screened": True})
    answer = {"body": "[redacted]", "author": "screener", "attributes": attributes}
    shop.receiver.body = json.dumps(answer).encode()
    reached = shop.inbound(customer, "my card is 4111 1111 1111 1111")
    assert reached.status_code == 201, reached.text
    body = reached.json()
    assert body["created_conversation"] is not existing
    message = shop.conversation(body["conversation_sid"]).messages(body["message_sid"]).fetch()
    assert (message.body, message.author) == ("[redacted]", "screener")
    assert message.attributes == attributes
    assert message.participant_sid == body["participant_sid"]  # still the customer's
    [added] = wait_until(
        lambda: [
            r for r in shop.events("onMessageAdded") if r.form["MessageSid"] == body["message_sid"]
        ]
    )
    assert added.signature_valid
    assert (added.form["Body"], added.form["Author"]) == ("[redacted]", "screener")
    assert added.form["Attributes"] == attributes
    # The answer is checked like a request's own values: nothing is written.
    shop.receiver.body = b'{"attributes": "not json"}'
    assert_twilio_error(shop.inbound(customer, "again"), 400, 50304)
    messages = shop.conversation(body["conversation_sid"]).messages.list()
    assert [m.body for m in messages][-1] == "[redacted]"


def test_the_address_configuration_webhook_hears_the_customer_join(shop: Shop) -> None:
    """Attached as soon as the conversation exists: Twilio's own example subscribes it to
    onParticipantAdded (conversations/api/address-configuration-resource)."""
    filters = ["onParticipantAdded", "onMessageAdded"]
    shop.configure("webhook", auto_creation_webhook_filters=filters)
    customer = customer_number()
    created = shop.inbound(customer, "hello").json()
    joined = heard(shop, "onParticipantAdded", "/bot").form
    assert joined["ConversationSid"] == created["conversation_sid"]
    assert joined["ParticipantSid"] == created["participant_sid"]
    assert joined["MessagingBinding.Address"] == customer
    wrote = heard(shop, "onMessageAdded", "/bot").form
    assert (wrote["MessageSid"], wrote["Body"]) == (created["message_sid"], "hello")
