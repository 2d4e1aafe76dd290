"""Every post-event, caused through twilio-python, arrives with exactly Twilio's parameters.

The expected names per event are docs/events.md's tables (unset optional ones left out),
plus RetryCount, which Twilio sends without documenting it.
"""

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, customer_number
from tests.e2e.role_helpers import default_roles

COMMON = {"EventType", "AccountSid", "ConversationSid", "Source", "RetryCount"}
CONVERSATION = COMMON | {
    "ChatServiceSid",
    "DateCreated",
    "DateUpdated",
    "FriendlyName",
    "UniqueName",
    "Attributes",
    "MessagingServiceSid",
    "State",
}
PARTICIPANT = COMMON | {
    "ParticipantSid",
    "MessagingBinding.Type",
    "Identity",
    "RoleSid",  # every participant has a role: the service's default one here
    "Attributes",
    "DateCreated",
}
MESSAGE = COMMON | {"MessageSid", "Index", "Author", "Body", "Attributes", "DateCreated"}
EXPECTED = {
    "onConversationAdded": CONVERSATION,
    "onConversationUpdated": CONVERSATION,
    "onConversationStateUpdated": COMMON
    | {"ChatServiceSid", "StateUpdated", "StateFrom", "StateTo", "Reason", "MessagingServiceSid"},
    "onParticipantAdded": PARTICIPANT,
    "onParticipantUpdated": PARTICIPANT | {"DateUpdated", "LastReadMessageIndex"},
    "onMessageAdded": MESSAGE | {"ParticipantSid", "MessagingServiceSid"},
    "onMessageUpdated": MESSAGE | {"ParticipantSid", "DateUpdated"},
    "onMessageRemoved": MESSAGE | {"ParticipantSid", "DateUpdated", "DateRemoved"},
    "onParticipantRemoved": PARTICIPANT | {"DateUpdated", "DateRemoved"},
    "onConversationRemoved": CONVERSATION | {"DateRemoved"},
}
MG = "MG" + "e" * 32


@pytest.fixture
def service(client: Client, webhook_receiver: WebhookReceiver) -> Iterator[str]:
    """A fresh service whose post-event webhook takes every event."""
    created = client.conversations.v1.services.create(friendly_name="all events")
    client.conversations.v1.services(created.sid).configuration.webhooks().update(
        post_webhook_url=webhook_receiver.url + "/service", filters=list(EXPECTED)
    )
    yield created.sid


def test_every_event_reaches_the_matching_webhooks_with_twilios_parameters(
    client: Client, api: Api, service: str, webhook_receiver: WebhookReceiver
) -> None:
    on = {"x_twilio_webhook_enabled": "true"}
    scope = client.conversations.v1.services(service)
    conversation = scope.conversations.create(
        friendly_name="Support", unique_name="all-events", messaging_service_sid=MG, **on
    )
    api.post(  # the scoped webhook takes everything but onConversationAdded, which came before it
        f"/v1/Services/{service}/Conversations/{conversation.sid}/Webhooks",
        {
            "Target": "webhook",
            "Configuration.Url": webhook_receiver.url + "/scoped",
            "Configuration.Filters": [name for name in EXPECTED if name != "onConversationAdded"],
        },
    )
    conv = scope.conversations(conversation.sid)
    conv.update(friendly_name="Support 2", **on)
    conv.update(state="inactive", **on)
    participant = conv.participants.create(identity="alice", **on)
    conv.participants(participant.sid).update(last_read_message_index=0, **on)
    message = conv.messages.create(author="alice", body="hello", **on)
    conv.messages(message.sid).update(body="hello again", **on)
    # twilio-python 9.13's delete() drops its x_twilio_webhook_enabled header (its
    # generated _delete resets the headers), so the deletes go over raw HTTP.
    root = f"/v1/Services/{service}/Conversations/{conversation.sid}"
    enabled = {"X-Twilio-Webhook-Enabled": "true"}
    api.delete(f"{root}/Messages/{message.sid}", headers=enabled)
    api.delete(f"{root}/Participants/{participant.sid}", headers=enabled)
    api.delete(root, headers=enabled)

    # onConversationUpdated fires twice (rename, then the state change),
    # onConversationStateUpdated twice (to inactive, then woken by the message), and each
    # event after onConversationAdded goes to both webhooks.
    events = list(EXPECTED)
    expected_count = 1 + 2 * (len(events) - 1 + 2)
    received = webhook_receiver.wait_for(expected_count)
    assert len(received) == expected_count
    assert all(r.signature_valid for r in received)
    for path in ("/service", "/scoped"):
        arrived = [r.form for r in received if r.url == webhook_receiver.url + path]
        names = [form["EventType"] for form in arrived]
        wanted = [e for e in events if path == "/service" or e != "onConversationAdded"]
        assert sorted(set(names)) == sorted(wanted), path
        for form in arrived:
            assert set(form) == EXPECTED[form["EventType"]], form["EventType"]
            assert form["Source"] == "API" and form["RetryCount"] == "0"
            assert form["ConversationSid"] == conversation.sid
    by_event = {r.form["EventType"]: r.form for r in received if r.url.endswith("/scoped")}
    state_changes = [
        (r.form["StateTo"], r.form["Reason"])
        for r in received
        if r.url.endswith("/scoped") and r.form["EventType"] == "onConversationStateUpdated"
    ]
    assert state_changes == [("inactive", "API"), ("active", "EVENT")]
    channel_user = default_roles(api, f"/v1/Services/{service}")["channel user"]
    for request in received:  # the values, not only the names (issue 12 item 14)
        event = request.form["EventType"]
        if event.startswith("onParticipant"):
            assert request.form["RoleSid"] == channel_user, event
        if "MessagingServiceSid" in EXPECTED[event]:
            assert request.form["MessagingServiceSid"] == MG, event
    assert by_event["onMessageAdded"]["ParticipantSid"] == participant.sid
    assert by_event["onMessageAdded"]["MessagingServiceSid"] == MG
    assert by_event["onParticipantAdded"]["MessagingBinding.Type"] == "CHAT"
    assert by_event["onMessageUpdated"]["Body"] == "hello again"


def test_default_role_and_messaging_service_fill_every_payload(
    client: Client, api: Api, service: str, webhook_receiver: WebhookReceiver
) -> None:
    """A conversation created without a MessagingServiceSid carries the account's default
    one in each of its events, and an SMS participant added without a RoleSid the
    service's default conversation role (issue 12 item 14)."""
    on = {"x_twilio_webhook_enabled": "true"}
    default_mg = client.conversations.v1.configuration().fetch().default_messaging_service_sid
    channel_user = default_roles(api, f"/v1/Services/{service}")["channel user"]
    conv = client.conversations.v1.services(service).conversations
    conversation = conv.create(friendly_name="defaults", **on)
    assert conversation.messaging_service_sid == default_mg
    texting = conv(conversation.sid).participants.create(
        messaging_binding_address=customer_number(),
        messaging_binding_proxy_address="+15017122661",
        **on,
    )
    assert texting.role_sid == channel_user
    conv(conversation.sid).participants(texting.sid).update(attributes='{"vip": true}', **on)
    conv(conversation.sid).update(state="closed", **on)
    root = f"/v1/Services/{service}/Conversations/{conversation.sid}"
    enabled = {"X-Twilio-Webhook-Enabled": "true"}
    api.delete(f"{root}/Participants/{texting.sid}", headers=enabled)
    api.delete(root, headers=enabled)

    received = [r.form for r in webhook_receiver.wait_for(7)]
    assert [form["EventType"] for form in received] == [
        "onConversationAdded",
        "onParticipantAdded",
        "onParticipantUpdated",
        "onConversationUpdated",
        "onConversationStateUpdated",
        "onParticipantRemoved",
        "onConversationRemoved",
    ]
    for form in received:
        if form["EventType"].startswith("onParticipant"):
            assert form["RoleSid"] == channel_user, form["EventType"]
            assert form["MessagingBinding.Type"] == "SMS"
        else:
            assert form["MessagingServiceSid"] == default_mg, form["EventType"]
