"""A support desk's whole inbound story, as its back end hears it, every webhook's parameter
names held against Twilio's tables (docs/events.md, "Per-event parameters").

The customer writes in and a conversation is auto-created; an agent is added and
replies, and the carrier's receipts come back; the customer writes again; the
conversation's closed timer ends it; the customer writes once more and a new
conversation opens. The service's pre- and post-event webhooks hear every step, signed.
"""

from typing import Any

from chinwag.testing import ReceivedRequest
from tests.conftest import customer_number, wait_until
from tests.databases import run_sql
from tests.e2e.channels import Shop, open_shop
from tests.inprocess import AppServer

ENABLED = {"x_twilio_webhook_enabled": "true"}  # REST changes fire webhooks only with it
PRE_EVENTS = ["onConversationAdd", "onParticipantAdd", "onMessageAdd"]
POST_EVENTS = ["onConversationAdded", "onParticipantAdded", "onMessageAdded"]
POST_EVENTS += ["onConversationUpdated", "onConversationStateUpdated", "onDeliveryUpdated"]

COMMON = {"AccountSid", "EventType", "Source"}
# What Twilio's tables list for each event: always there, and there when set (a null
# field is left out of a form, as UniqueName is for a conversation created without one).
BINDING = {"MessagingBinding.ProxyAddress", "MessagingBinding.Address"}
BINDING_MORE = BINDING | {"MessagingBinding.ProjectedAddress"}
CONVERSATION = {"Attributes", "ChatServiceSid", "MessagingServiceSid", "State"}
CONVERSATION_STORED = CONVERSATION | {"ConversationSid", "DateCreated", "DateUpdated"}
PARTICIPANT = {"ConversationSid", "RoleSid", "Attributes", "MessagingBinding.Type"}
MESSAGE = {"ConversationSid", "Body", "Author", "Attributes"}
TABLES: dict[str, tuple[set[str], set[str]]] = {
    "onConversationAdd": (
        CONVERSATION,
        {"FriendlyName", "UniqueName", "MessageBody", "Media"}
        | BINDING_MORE
        | {"MessagingBinding.AuthorAddress"},
    ),
    "onConversationAdded": (
        CONVERSATION_STORED,
        {"FriendlyName", "UniqueName"} | BINDING_MORE | {"MessagingBinding.AuthorAddress"},
    ),
    "onConversationUpdated": (CONVERSATION_STORED, {"FriendlyName", "UniqueName"}),
    "onConversationStateUpdated": (
        {"ChatServiceSid", "ConversationSid", "StateUpdated", "StateFrom", "StateTo"}
        | {"Reason", "MessagingServiceSid"},
        set(),
    ),
    "onParticipantAdd": (PARTICIPANT, {"Identity"} | BINDING_MORE),
    "onParticipantAdded": (
        PARTICIPANT | {"ParticipantSid", "DateCreated"},
        {"Identity"} | BINDING_MORE,
    ),
    "onMessageAdd": (MESSAGE, {"ParticipantSid", "Media"}),
    "onMessageAdded": (
        MESSAGE | {"MessageSid", "MessagingServiceSid", "Index", "DateCreated"},
        {"ParticipantSid", "Media"},
    ),
    "onDeliveryUpdated": (
        {"ConversationSid", "ChatServiceSid", "MessageSid", "DeliveryReceiptSid"}
        | {"ChannelMessageSid", "ParticipantSid", "Status", "DateCreated", "DateUpdated"},
        {"ErrorCode"},
    ),
}
# Not in Twilio's tables but in its requests: the attempt's number (C1, docs/events.md;
# chinwag sends it with pre-events too, where it is always 0).
UNLISTED = {"RetryCount"}


def test_a_support_desk_hears_the_whole_inbound_story_as_twilio_tells_it(
    app_server: AppServer,
) -> None:
    with open_shop(app_server) as shop:
        tell_the_story(shop, app_server)


def tell_the_story(shop: Shop, server: AppServer) -> None:
    hooks = shop.tenant.client.conversations.v1.services(shop.service).configuration.webhooks()
    hooks.update(
        pre_webhook_url=shop.receiver.url + "/pre",
        post_webhook_url=shop.receiver.url + "/service",
        method="POST",
        filters=PRE_EVENTS + POST_EVENTS,
    )
    shop.configure(auto_creation_type="default")
    customer = customer_number()

    # 1. The customer writes in: a conversation is auto-created around them.
    first = shop.inbound(customer, "My order #42 has not come.").json()
    assert first["created_conversation"] is True
    sid = first["conversation_sid"]
    conversation = shop.conversation(sid)
    # 2. An agent is added and replies; the carrier's receipts come back.
    conversation.participants.create(identity="agent-ada", **ENABLED)
    reply = conversation.messages.create(author="agent-ada", body="Sorry! On it.", **ENABLED)
    wait_until(lambda: len(shop.events("onDeliveryUpdated")) == 2, what="sent and delivered")
    # 3. The customer writes again, into the same conversation.
    again = shop.inbound(customer, "Thanks, any news?").json()
    assert (again["conversation_sid"], again["created_conversation"]) == (sid, False)
    # 4. The closed timer ends the conversation (made due rather than waited for).
    conversation.update(timers_closed="PT10M", **ENABLED)
    run_sql(
        server.database_url,
        "UPDATE conversations SET date_closed = '2000-01-01 00:00:00.000000' WHERE sid = :sid",
        sid=sid,
    )
    wait_until(lambda: shop.events("onConversationStateUpdated"), what="the timer firing")
    assert conversation.fetch().state == "closed"
    # 5. The customer writes once more: a new conversation opens.
    last = shop.inbound(customer, "Hello? Anyone?").json()
    assert last["created_conversation"] is True and last["conversation_sid"] != sid

    heard = wait_until(lambda: _all_heard(shop), what="every webhook of the story")
    assert all(request.signature_valid for request in heard)
    _check_order(heard, sid, last["conversation_sid"], reply.sid)
    for request in heard:
        _check_names(request)
    [closed] = shop.events("onConversationStateUpdated")
    assert (closed.form["StateFrom"], closed.form["StateTo"]) == ("active", "closed")
    assert closed.form["Reason"] == "TIMER"
    [opened, reopened] = shop.events("onConversationAdded")
    for added in (opened, reopened):
        assert added.form["MessagingBinding.Address"] == customer
        assert added.form["MessagingBinding.ProxyAddress"] == shop.number


def _all_heard(shop: Shop) -> list[ReceivedRequest] | None:
    """Every request of the story once the last one (the new conversation's message) came."""
    requests = list(shop.receiver.requests)
    added = [r for r in requests if r.form.get("EventType") == "onMessageAdded"]
    return requests if len(added) == 4 else None


def _events(heard: list[ReceivedRequest], conversation_sid: str) -> list[str]:
    return [r.form["EventType"] for r in heard if r.form.get("ConversationSid") == conversation_sid]


def _check_order(heard: list[ReceivedRequest], first: str, second: str, reply_sid: str) -> None:
    """Each step's pre-events come before its post-events, in Twilio's order."""
    pre = [r.form["EventType"] for r in heard if r.url.endswith("/pre")]
    creation = ["onConversationAdd", "onParticipantAdd", "onMessageAdd"]
    # two creations; the agent's joining and reply; the customer's second message
    assert pre == [*creation, "onParticipantAdd", "onMessageAdd", "onMessageAdd", *creation]
    post = [r for r in heard if r.url.endswith("/service")]
    posted = [r.form["EventType"] for r in post if r.form.get("ConversationSid") == first]
    assert posted[:3] == ["onConversationAdded", "onParticipantAdded", "onMessageAdded"]
    assert posted.count("onMessageAdded") == 3 and posted.count("onParticipantAdded") == 2
    receipts = [r.form for r in post if r.form["EventType"] == "onDeliveryUpdated"]
    assert [(r["MessageSid"], r["Status"]) for r in receipts] == [
        (reply_sid, "sent"),
        (reply_sid, "delivered"),
    ]
    reopened = [r.form["EventType"] for r in post if r.form.get("ConversationSid") == second]
    assert reopened == ["onConversationAdded", "onParticipantAdded", "onMessageAdded"]


def _check_names(request: ReceivedRequest) -> None:
    form: dict[str, Any] = request.form
    event = form["EventType"]
    always, when_set = TABLES[event]
    allowed = COMMON | always | when_set | UNLISTED
    names = set(form)
    assert always | COMMON <= names, (event, sorted(always | COMMON - names))
    assert names <= allowed, (event, sorted(names - allowed))
