"""Inbound SMS and WhatsApp messages: where a customer's message goes, in Twilio's order.

twilio.com/docs/conversations/inbound-autocreation: (a) an active or inactive
conversation whose participant holds the (address, proxy address) pair takes the
message; (b) otherwise an Address Configuration for the `To` address with
auto-creation enabled creates a conversation, attaches its webhook or Studio flow and
adds the customer with that binding; (c) otherwise Conversations creates nothing (on
Twilio the Messaging Service's own webhook gets the message). Inbound messages are no
REST change: their webhooks fire without `X-Twilio-Webhook-Enabled`, with `Source`
`SMS` or `WHATSAPP`. docs/channels.md lists each rule with its source.

The pre-event webhooks are asked before anything is written (operations/inbound.py), so
an auto-creation is planned first: its `Route` carries the SIDs the conversation and the
customer's participant will have, which onParticipantAdd and onMessageAdd name.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain.addresses import binding_type
from chinwag.domain.carrier import Carrier
from chinwag.domain.conversations import (
    ConversationFields,
    Creator,
    conversation_add_params,
    create_conversation,
    new_conversation,
)
from chinwag.domain.events import Origin
from chinwag.domain.media import upload
from chinwag.domain.messages import MessageFields, create_message
from chinwag.domain.participants import (
    ParticipantFields,
    create_participant,
    new_participant_params,
)
from chinwag.domain.services import default_service
from chinwag.domain.webhooks import Method, Target, WebhookConfiguration, create_webhook
from chinwag.store import address_configurations as configuration_store
from chinwag.store import address_pairs as pairs
from chinwag.store import conversations as conversation_store
from chinwag.store import services as service_store
from chinwag.store.address_configurations import AddressConfiguration
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound

CHANNELS = {"sms": "SMS", "whatsapp": "WHATSAPP"}  # binding type -> the events' `Source`
Params = list[tuple[str, str]]


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
    """Where an inbound message goes, in its service: the conversation holding the pair and
    its participant (a), or a conversation `configuration` auto-creates (b), with the
    SIDs chosen for it and for the customer's participant."""

    service_sid: str
    conversation_sid: str
    participant_sid: str
    configuration: AddressConfiguration | None = None

    @property
    def creates(self) -> bool:
        return self.configuration is not None


@dataclass(frozen=True)
class Answers:
    """What the pre-event webhooks were told and answered (operations/inbound.py asks them
    before anything is written): the `route` they were told about, whose SIDs an
    auto-creation keeps; onConversationAdd's `friendly_name`; the message as onMessageAdd
    left it (`author`, `body`, `attributes`), None for the customer's own."""

    route: Route | None = None
    friendly_name: str | None = None
    message: MessageFields | None = None


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


def customer_message(fields: InboundFields) -> MessageFields:
    """The message as the customer wrote it: `From` is its author."""
    return MessageFields(author=fields.from_address, body=fields.body)


def find_route(
    conn: Connection, account_sid: str, from_: str, to: str, *, chosen: Route | None = None
) -> Route:
    """Where the message goes; 404 when no conversation holds the pair and no address
    configuration auto-creates one (branch c). An auto-creation gets the SIDs of `chosen`
    (the route the pre-event webhooks were told about) if it was one too, else new ones."""
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
    if chosen is not None and chosen.creates:
        conversation_sid, participant_sid = chosen.conversation_sid, chosen.participant_sid
    else:
        conversation_sid = sids.new_sid(sids.CONVERSATION)
        participant_sid = sids.new_sid(sids.PARTICIPANT)
    return Route(service_sid, conversation_sid, participant_sid, configuration)


def conversation_add_payload(conn: Connection, service: Service, fields: InboundFields) -> Params:
    """onConversationAdd before an auto-creation: the customer's binding and message."""
    from_, to, _ = check(fields)
    return conversation_add_params(
        conn,
        service.account_sid,
        ConversationFields(),
        creator=Creator(from_, to),
        message_body=fields.body or None,  # a media-only message has no text
    )


def participant_add_payload(
    conn: Connection, service: Service, route: Route, fields: InboundFields
) -> Params:
    """onParticipantAdd before an auto-creation: the customer joining the conversation
    as it will be created."""
    from_, to, _ = check(fields)
    planned = new_conversation(
        conn, service.account_sid, service.sid, ConversationFields(), sid=route.conversation_sid
    )
    return new_participant_params(conn, planned, ParticipantFields(address=from_, proxy_address=to))


def message_add_payload(message: MessageFields, participant_sid: str) -> Params:
    """onMessageAdd: the message as it will be added, with the customer's participant."""
    params = [
        ("Author", message.author),
        ("Body", message.body or ""),
        ("Attributes", message.attributes or "{}"),
        ("ParticipantSid", participant_sid),
    ]
    return [(name, value) for name, value in params if value is not None]


def receive(
    conn: Connection,
    account_sid: str,
    fields: InboundFields,
    carrier: Carrier,
    answers: Answers | None = None,
) -> Received:
    """Route the message and add it, in one transaction, with the pre-event webhooks'
    `answers` (none: the customer's message as written)."""
    answers = answers or Answers()
    from_, to, origin = check(fields)
    route = find_route(conn, account_sid, from_, to, chosen=answers.route)
    service = service_store.get_service(conn, account_sid, route.service_sid)
    assert service is not None  # the route's service, read in this transaction
    stored = [upload(conn, service, m.content_type, m.filename, m.content) for m in fields.media]
    media_sids = [medium.sid for medium in stored] or None
    message_fields = replace(answers.message or customer_message(fields), media_sids=media_sids)
    if not route.creates:
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
        ConversationFields(friendly_name=answers.friendly_name),
        origin,
        sid=route.conversation_sid,
        creator=Creator(from_, to),
    )
    # Attached before the customer joins, so it hears onParticipantAdded and the first
    # message: Twilio's own example subscribes this webhook to onParticipantAdded
    # (conversations/api/address-configuration-resource).
    _attach(conn, conversation, route.configuration)
    participant = create_participant(
        conn,
        conversation,
        ParticipantFields(address=from_, proxy_address=to),
        origin,
        sid=route.participant_sid,
    )
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
