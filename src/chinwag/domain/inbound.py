"""Inbound SMS and WhatsApp messages: where a customer's message goes, in Twilio's order.

twilio.com/docs/conversations/inbound-autocreation: (a) an active or inactive
conversation whose participant holds the (address, proxy address) pair takes the
message; (b) otherwise an Address Configuration for the `To` address with
auto-creation enabled creates a conversation, adds the customer with that binding and
attaches its webhook or Studio flow; (c) otherwise Conversations creates nothing (on
Twilio the Messaging Service's own webhook gets the message). Inbound messages are no
REST change: their webhooks fire without `X-Twilio-Webhook-Enabled`, with `Source`
`SMS` or `WHATSAPP`. docs/channels.md lists each rule with its source.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from chinwag.domain.addresses import binding_type
from chinwag.domain.carrier import Carrier
from chinwag.domain.conversations import ConversationFields, create_conversation
from chinwag.domain.events import Origin
from chinwag.domain.media import upload
from chinwag.domain.messages import MessageFields, create_message
from chinwag.domain.participants import ParticipantFields, create_participant
from chinwag.domain.services import default_service
from chinwag.domain.webhooks import Method, Target, WebhookConfiguration, create_webhook
from chinwag.store import address_configurations as configuration_store
from chinwag.store import address_pairs as pairs
from chinwag.store import conversations as conversation_store
from chinwag.store import services as service_store
from chinwag.store.address_configurations import AddressConfiguration
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound

CHANNELS = {"sms": "SMS", "whatsapp": "WHATSAPP"}  # binding type -> the events' `Source`


@dataclass(frozen=True)
class Download:
    """A `MediaUrl`'s file, fetched (as Twilio fetches a channel message's media)."""

    content_type: str
    filename: str | None
    content: bytes


@dataclass(frozen=True)
class InboundFields:
    """What a customer sent: their address, the business address, the text."""

    from_address: str | None
    to_address: str | None
    body: str | None
    media: tuple[Download, ...] = ()


@dataclass(frozen=True)
class Route:
    """Where an inbound message goes: an existing conversation (a), or a configuration
    that auto-creates one (b); the service either way."""

    service_sid: str
    conversation_sid: str | None = None
    participant_sid: str | None = None
    configuration: AddressConfiguration | None = None


@dataclass(frozen=True)
class Received:
    conversation: Conversation
    participant_sid: str
    message: Message
    created_conversation: bool


def check(fields: InboundFields) -> tuple[str, str, Origin]:
    """From and To, checked; and the origin the message's events carry."""
    if not fields.from_address:
        raise InvalidParameter("From is required: the customer's address, e.g. +15551230001.")
    if not fields.to_address:
        raise InvalidParameter("To is required: the business address, e.g. +15557650000.")
    channel = binding_type(fields.from_address)
    if channel not in CHANNELS or binding_type(fields.to_address) != channel:
        raise InvalidParameter(
            f"From '{fields.from_address}' and To '{fields.to_address}' must both be SMS "
            "numbers or both `whatsapp:` addresses."
        )
    return fields.from_address, fields.to_address, Origin(CHANNELS[channel], True)


def find_route(conn: Connection, account_sid: str, from_: str, to: str) -> Route:
    """Where the message goes; 404 when no conversation holds the pair and no address
    configuration auto-creates one (branch c)."""
    held = pairs.pair_participant(conn, account_sid, from_, to)
    if held is not None:
        conversation = conversation_store.get_conversation(conn, held[0])
        if conversation is not None:
            return Route(conversation.service_sid, conversation.sid, held[1])
    configuration = _configuration(conn, account_sid, to)
    if configuration is None or not configuration.auto_creation_enabled:
        raise ResourceNotFound(
            f"No open conversation holds the pair (From '{from_}', To '{to}') and no Address "
            f"Configuration with auto-creation exists for '{to}': nothing was created. On "
            "Twilio the message would go to the Messaging Service's own incoming webhook."
        )
    service_sid = configuration.conversation_service_sid or default_service(conn, account_sid).sid
    return Route(service_sid, configuration=configuration)


def receive(
    conn: Connection,
    account_sid: str,
    fields: InboundFields,
    carrier: Carrier,
    friendly_name: str | None = None,
) -> Received:
    """Route the message and add it, in one transaction; `friendly_name` names an
    auto-created conversation (an onConversationAdd pre-event's change)."""
    from_, to, origin = check(fields)
    route = find_route(conn, account_sid, from_, to)
    service = service_store.get_service(conn, account_sid, route.service_sid)
    assert service is not None  # the route's service, read in this transaction
    stored = [upload(conn, service, m.content_type, m.filename, m.content) for m in fields.media]
    media_sids = [medium.sid for medium in stored] or None
    message_fields = MessageFields(author=from_, body=fields.body, media_sids=media_sids)
    if route.conversation_sid is not None and route.participant_sid is not None:
        conversation = conversation_store.get_conversation(
            conn, route.conversation_sid, for_update=True
        )
        assert conversation is not None  # the pair's holder, read in this transaction
        message = create_message(
            conn,
            conversation,
            message_fields,
            origin,
            carrier,
            participant_sid=route.participant_sid,
        )
        return Received(conversation, route.participant_sid, message, False)
    assert route.configuration is not None
    conversation = create_conversation(
        conn,
        account_sid,
        route.service_sid,
        ConversationFields(friendly_name=friendly_name),
        origin,
    )
    participant = create_participant(
        conn, conversation, ParticipantFields(address=from_, proxy_address=to), origin
    )
    _attach(conn, conversation, route.configuration)
    message = create_message(
        conn, conversation, message_fields, origin, carrier, participant_sid=participant.sid
    )
    return Received(conversation, participant.sid, message, True)


def _configuration(conn: Connection, account_sid: str, to: str) -> AddressConfiguration | None:
    """The configuration for `To` as given; for a WhatsApp address also its bare number."""
    found = configuration_store.get_by_address(conn, account_sid, to)
    if found is None and ":" in to:
        found = configuration_store.get_by_address(conn, account_sid, to.partition(":")[2])
    return found


def _attach(
    conn: Connection, conversation: Conversation, configuration: AddressConfiguration
) -> None:
    """The configured conversation-scoped webhook or Studio flow; `default` attaches none."""
    if configuration.auto_creation_type == "webhook":
        method = Method((configuration.webhook_method or "POST").lower())
        config = WebhookConfiguration(
            url=configuration.webhook_url, method=method, filters=configuration.webhook_filters
        )
        create_webhook(conn, conversation, Target.WEBHOOK, config)
    elif configuration.auto_creation_type == "studio":
        config = WebhookConfiguration(flow_sid=configuration.studio_flow_sid)
        create_webhook(conn, conversation, Target.STUDIO, config)
