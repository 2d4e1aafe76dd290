"""The route table: every Twilio operation chinwag implements (and chinwag's own), in one place.

Resources that exist on both path families are listed once, relative to the
family root, and mounted under `/v1` (the account's default service) and
`/v1/Services/{ChatServiceSid}`.
"""

from collections.abc import Awaitable, Callable

from aiohttp import web

from chinwag.operations.media_urls import CONTENT, MEDIA, MEDIA_SET
from chinwag.resources import (
    account_configuration,
    address_configurations,
    bindings,
    conversation_with_participants,
    conversations,
    credentials,
    deliveries,
    event_types,
    global_webhooks,
    inbound,
    media,
    messages,
    ordering,
    outbound,
    participant_conversations,
    participants,
    pushes,
    receipts,
    reset,
    roles,
    service_configuration,
    service_notifications,
    service_webhooks,
    services,
    shared_keys,
    sinks,
    subscriptions,
    tokens,
    user_conversations,
    users,
    webhook_rules,
    webhook_settings,
    webhooks,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RECEIPTS = "/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts"

SERVICE_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/Services", services.list_),
    ("POST", "/v1/Services", services.create),
    ("GET", "/v1/Services/{Sid}", services.fetch),
    ("DELETE", "/v1/Services/{Sid}", services.delete),
]

IN_SERVICE_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/Conversations", conversations.list_),
    ("POST", "/Conversations", conversations.create),
    ("GET", "/Conversations/{Sid}", conversations.fetch),
    ("POST", "/Conversations/{Sid}", conversations.update),
    ("DELETE", "/Conversations/{Sid}", conversations.delete),
    ("POST", "/ConversationWithParticipants", conversation_with_participants.create),
    ("GET", "/Conversations/{ConversationSid}/Webhooks", webhooks.list_),
    ("POST", "/Conversations/{ConversationSid}/Webhooks", webhooks.create),
    ("GET", "/Conversations/{ConversationSid}/Webhooks/{Sid}", webhooks.fetch),
    ("POST", "/Conversations/{ConversationSid}/Webhooks/{Sid}", webhooks.update),
    ("DELETE", "/Conversations/{ConversationSid}/Webhooks/{Sid}", webhooks.delete),
    ("GET", "/Conversations/{ConversationSid}/Messages", messages.list_),
    ("POST", "/Conversations/{ConversationSid}/Messages", messages.create),
    ("GET", "/Conversations/{ConversationSid}/Messages/{Sid}", messages.fetch),
    ("POST", "/Conversations/{ConversationSid}/Messages/{Sid}", messages.update),
    ("DELETE", "/Conversations/{ConversationSid}/Messages/{Sid}", messages.delete),
    ("GET", RECEIPTS, receipts.list_),
    ("GET", RECEIPTS + "/{Sid}", receipts.fetch),
    ("GET", "/Conversations/{ConversationSid}/Participants", participants.list_),
    ("POST", "/Conversations/{ConversationSid}/Participants", participants.create),
    ("GET", "/Conversations/{ConversationSid}/Participants/{Sid}", participants.fetch),
    ("POST", "/Conversations/{ConversationSid}/Participants/{Sid}", participants.update),
    ("DELETE", "/Conversations/{ConversationSid}/Participants/{Sid}", participants.delete),
    ("GET", "/Users", users.list_),
    ("POST", "/Users", users.create),
    ("GET", "/Users/{Sid}", users.fetch),
    ("POST", "/Users/{Sid}", users.update),
    ("DELETE", "/Users/{Sid}", users.delete),
    ("GET", "/Roles", roles.list_),
    ("POST", "/Roles", roles.create),
    ("GET", "/Roles/{Sid}", roles.fetch),
    ("POST", "/Roles/{Sid}", roles.update),
    ("DELETE", "/Roles/{Sid}", roles.delete),
    ("GET", "/Users/{UserSid}/Conversations", user_conversations.list_),
    ("GET", "/Users/{UserSid}/Conversations/{ConversationSid}", user_conversations.fetch),
    ("POST", "/Users/{UserSid}/Conversations/{ConversationSid}", user_conversations.update),
    ("DELETE", "/Users/{UserSid}/Conversations/{ConversationSid}", user_conversations.delete),
    ("GET", "/ParticipantConversations", participant_conversations.list_),
]

FAMILY_ROOTS = ("/v1", "/v1/Services/{ChatServiceSid}")

# Resources Twilio has only under a named service (no default-service family).
SERVICE_ONLY_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/Configuration", service_configuration.fetch),
    ("POST", "/Configuration", service_configuration.update),
    ("GET", "/Configuration/Notifications", service_notifications.fetch),
    ("POST", "/Configuration/Notifications", service_notifications.update),
    # The default-service family's /v1/Configuration/Webhooks is the account's global
    # configuration, a record of its own (ACCOUNT_ROUTES).
    ("GET", "/Configuration/Webhooks", service_webhooks.fetch),
    ("POST", "/Configuration/Webhooks", service_webhooks.update),
    ("GET", "/Bindings", bindings.list_),
    ("GET", "/Bindings/{Sid}", bindings.fetch),
    ("DELETE", "/Bindings/{Sid}", bindings.delete),
]

# Account-wide resources, outside any service.
ACCOUNT_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/Configuration", account_configuration.fetch),
    ("POST", "/v1/Configuration", account_configuration.update),
    ("GET", "/v1/Configuration/Webhooks", global_webhooks.fetch),
    ("POST", "/v1/Configuration/Webhooks", global_webhooks.update),
    ("GET", "/v1/Configuration/Addresses", address_configurations.list_),
    ("POST", "/v1/Configuration/Addresses", address_configurations.create),
    ("GET", "/v1/Configuration/Addresses/{Sid}", address_configurations.fetch),
    ("POST", "/v1/Configuration/Addresses/{Sid}", address_configurations.update),
    ("DELETE", "/v1/Configuration/Addresses/{Sid}", address_configurations.delete),
    ("GET", "/v1/Credentials", credentials.list_),
    ("POST", "/v1/Credentials", credentials.create),
    ("GET", "/v1/Credentials/{Sid}", credentials.fetch),
    ("POST", "/v1/Credentials/{Sid}", credentials.update),
    ("DELETE", "/v1/Credentials/{Sid}", credentials.delete),
]

# Event Streams (Twilio's events.twilio.com/v1, twilio_events_v1.json), served on the same
# host: its paths do not meet Conversations' (docs/events.md, "Event Streams").
SUBSCRIBED_EVENTS = "/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents"
EVENTS_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/Sinks", sinks.list_),
    ("POST", "/v1/Sinks", sinks.create),
    ("GET", "/v1/Sinks/{Sid}", sinks.fetch),
    ("POST", "/v1/Sinks/{Sid}", sinks.update),
    ("DELETE", "/v1/Sinks/{Sid}", sinks.delete),
    ("POST", "/v1/Sinks/{Sid}/Test", sinks.sink_test),
    ("POST", "/v1/Sinks/{Sid}/Validate", sinks.sink_validate),
    ("GET", "/v1/Subscriptions", subscriptions.list_),
    ("POST", "/v1/Subscriptions", subscriptions.create),
    ("GET", "/v1/Subscriptions/{Sid}", subscriptions.fetch),
    ("POST", "/v1/Subscriptions/{Sid}", subscriptions.update),
    ("DELETE", "/v1/Subscriptions/{Sid}", subscriptions.delete),
    ("GET", SUBSCRIBED_EVENTS, subscriptions.list_events),
    ("POST", SUBSCRIBED_EVENTS, subscriptions.create_event),
    ("GET", SUBSCRIBED_EVENTS + "/{Type}", subscriptions.fetch_event),
    ("POST", SUBSCRIBED_EVENTS + "/{Type}", subscriptions.update_event),
    ("DELETE", SUBSCRIBED_EVENTS + "/{Type}", subscriptions.delete_event),
    ("GET", "/v1/Types", event_types.list_types),
    ("GET", "/v1/Types/{Type}", event_types.fetch_type),
    ("GET", "/v1/Schemas/{Id}", event_types.fetch_schema),
    ("GET", "/v1/Schemas/{Id}/Versions", event_types.list_versions),
    ("GET", "/v1/Schemas/{Id}/Versions/{SchemaVersion}", event_types.fetch_version),
]

# The Webhooks configuration API (Twilio's webhooks.twilio.com/v1/Webhooks), served on the
# same host: no Conversations path starts with /v1/Webhooks (docs/events.md, "Shared keys").
WEBHOOKS_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/Webhooks/SharedKeys", shared_keys.list_),
    ("POST", "/v1/Webhooks/SharedKeys", shared_keys.create),
    ("GET", "/v1/Webhooks/SharedKeys/{Id}", shared_keys.fetch),
    ("PATCH", "/v1/Webhooks/SharedKeys/{Id}", shared_keys.update),
    ("DELETE", "/v1/Webhooks/SharedKeys/{Id}", shared_keys.delete),
    ("GET", "/v1/Webhooks/Settings", webhook_settings.list_),
    ("POST", "/v1/Webhooks/Settings", webhook_settings.create),
    ("GET", "/v1/Webhooks/Settings/{Id}", webhook_settings.fetch),
    ("PATCH", "/v1/Webhooks/Settings/{Id}", webhook_settings.update),
    ("DELETE", "/v1/Webhooks/Settings/{Id}", webhook_settings.delete),
    ("GET", "/v1/Webhooks/Rules", webhook_rules.list_),
    ("POST", "/v1/Webhooks/Rules", webhook_rules.create),
    ("GET", "/v1/Webhooks/Rules/{Id}", webhook_rules.fetch),
    ("PATCH", "/v1/Webhooks/Rules/{Id}", webhook_rules.update),
    ("DELETE", "/v1/Webhooks/Rules/{Id}", webhook_rules.delete),
    ("GET", "/v1/Webhooks/Operations", webhook_rules.list_operations),
    ("GET", "/v1/Webhooks/Operations/{Id}", webhook_rules.fetch_operation),
]

# chinwag's own API, outside Twilio's namespace (so not in Twilio's spec): authenticated
# and scoped to the caller's account like the Twilio routes.
CHINWAG_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/chinwag/v1/Deliveries", deliveries.list_),
    ("POST", "/chinwag/v1/Deliveries/Redeliver", deliveries.redeliver_failed),
    ("GET", "/chinwag/v1/Deliveries/{Sid}", deliveries.fetch),
    ("POST", "/chinwag/v1/Deliveries/{Sid}/Redeliver", deliveries.redeliver),
    # Ordered delivery, chinwag's own option, of a webhook (WH, IS, AC) or sink (DG).
    ("GET", "/chinwag/v1/OrderedDelivery/{Sid}", ordering.fetch),
    ("POST", "/chinwag/v1/OrderedDelivery/{Sid}", ordering.update),
    # What a channel or an SDK client would do: report a delivery status, register for push.
    ("POST", "/chinwag/v1" + RECEIPTS, receipts.record),
    ("POST", "/chinwag/v1/Services/{ChatServiceSid}" + RECEIPTS, receipts.record),
    ("POST", "/chinwag/v1/Services/{ChatServiceSid}/Bindings", bindings.register),
    # What Twilio would have pushed to those registrations, recorded instead.
    ("GET", "/chinwag/v1/Services/{ChatServiceSid}/Pushes", pushes.list_),
    # A clean slate: everything of the caller's account but the account itself.
    ("POST", "/chinwag/v1/Reset", reset.reset),
    # What Twilio's Media Content Service does: hold uploads for messages' MediaSid.
    ("POST", MEDIA, media.create),
    ("GET", MEDIA + "/{Sid}", media.fetch),
    ("GET", CONTENT, media.content),
    ("POST", MEDIA_SET, media.media_set),
    # The simulated outside world: a customer writes, what customers received, a carrier report.
    ("POST", "/chinwag/v1/Inbound", inbound.create),
    ("GET", "/chinwag/v1/Outbound", outbound.list_),
    ("POST", "/chinwag/v1/Receipts/{Sid}", receipts.move),
    # The JSON schema behind an Event Streams schema version's `raw` URL.
    ("GET", "/chinwag/v1/EventSchemas/{Id}/{SchemaVersion}", event_types.raw_schema),
    # What an app's backend does with twilio-python's AccessToken: a token for the client SDK.
    ("POST", "/chinwag/v1/Tokens", tokens.create),
]

# The routes the client SDK's media client calls over plain HTTP, not through its socket:
# they take its Access Token (`X-Twilio-Token`) as well as HTTP Basic (app.py).
ACCESS_TOKEN_ROUTES = frozenset({MEDIA, MEDIA + "/{Sid}", CONTENT, MEDIA_SET})
# A temporary content URL (`content_direct_temporary`) carries its own credential, its
# signature (operations/media_urls.py), for whoever holds it.
SIGNED_ROUTES = frozenset({CONTENT})


def twilio_routes() -> list[tuple[str, str, Handler]]:
    """Every (method, path template, handler), with both families spelled out."""
    routes = list(SERVICE_ROUTES) + ACCOUNT_ROUTES
    routes += [
        (method, FAMILY_ROOTS[1] + path, handler) for method, path, handler in SERVICE_ONLY_ROUTES
    ]
    for root in FAMILY_ROOTS:
        routes += [(method, root + path, handler) for method, path, handler in IN_SERVICE_ROUTES]
    return routes


def add_routes(app: web.Application) -> None:
    for method, path, handler in twilio_routes() + EVENTS_ROUTES + WEBHOOKS_ROUTES + CHINWAG_ROUTES:
        app.router.add_route(method, path, handler)
