"""Every table, in one place. Alembic migrations create exactly this schema."""

from datetime import UTC, datetime

from sqlalchemy import (
    DDL,
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python, whatever the engine stores (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Flag(TypeDecorator[bool]):
    """A bool in Python, stored as the INTEGER 0 or 1 the schema has always had."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: bool | None, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> bool | None:
        return None if value is None else bool(value)


class Pairs(TypeDecorator[list[tuple[str, str]]]):
    """Ordered (name, value) pairs in Python, a JSON array of [name, value] arrays stored."""

    impl = JSON
    cache_ok = True

    def process_bind_param(
        self, value: list[tuple[str, str]] | None, dialect: Dialect
    ) -> list[list[str]] | None:
        return None if value is None else [list(pair) for pair in value]

    def process_result_value(
        self, value: list[list[str]] | None, dialect: Dialect
    ) -> list[tuple[str, str]] | None:
        return None if value is None else [(name, text) for name, text in value]


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("auth_token", String(64), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), ForeignKey("accounts.sid"), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    # The secret itself, to verify Access Tokens signed with it (HMAC needs it); NULL for
    # keys created before migration 0020, which kept only the hash (docs/compatibility.md).
    Column("secret", Text, nullable=True),
    Column("friendly_name", Text, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
)

# Dashboard sessions ended by signing out (ui/sessions.py), by the SHA-256 of each
# session's id, kept until the session's cookie would have expired anyway.
signed_out_sessions = Table(
    "signed_out_sessions",
    metadata,
    Column("session_sha256", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
)

# The client SDK sockets open now, one row each, for reachability (domain/reachability.py):
# a user with a live row is online. Each server renews its sockets' lease while they are
# open; a crashed server's rows expire at `expires_at` and count no more.
socket_presence = Table(
    "socket_presence",
    metadata,
    Column("socket_id", String(32), primary_key=True),
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column("user_sid", String(34), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "user_sid", "expires_at"),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), ForeignKey("accounts.sid"), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("is_default", Flag, nullable=False, default=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
)

# Account-wide Conversations settings (the Configuration resource): one row per account,
# written with the account and backfilled by migration 0009. The default Conversation
# Service is not here: it is the `is_default` flag of the account's services.
account_configurations = Table(
    "account_configurations",
    metadata,
    Column("account_sid", String(34), ForeignKey("accounts.sid"), primary_key=True),
    Column("default_messaging_service_sid", String(34), nullable=False),
    Column("default_inactive_timer", String(64)),
    Column("default_closed_timer", String(64)),
)

# Which addresses (phone numbers, WhatsApp senders) auto-create a conversation on an
# inbound message, and how (Configuration/Addresses).
address_configurations = Table(
    "address_configurations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), ForeignKey("accounts.sid"), nullable=False),
    Column("type", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("friendly_name", Text),
    Column("address_country", String(2)),
    Column("auto_creation_enabled", Flag, nullable=False),
    Column("auto_creation_type", String(16), nullable=False),
    # Deleting the service leaves the configuration, creating in the default service.
    Column(
        "conversation_service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="SET NULL"),
    ),
    Column("webhook_url", Text),
    Column("webhook_method", String(8)),
    Column("webhook_filters", JSON, nullable=False),
    Column("studio_flow_sid", String(34)),
    Column("studio_retry_count", Integer),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    UniqueConstraint("account_sid", "address"),
    Index(None, "account_sid", "id"),
)

# Push credentials (APN, FCM, GCM). The secrets are stored, never returned, never used:
# chinwag sends no push notifications.
credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), ForeignKey("accounts.sid"), nullable=False),
    Column("type", String(8), nullable=False),
    Column("friendly_name", Text),
    Column("sandbox", Flag, nullable=False),
    Column("certificate", Text),
    Column("private_key", Text),
    Column("api_key", Text),
    Column("secret", Text),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("unique_name", Text),
    Column("friendly_name", Text),
    Column("attributes", Text, nullable=False),
    Column("messaging_service_sid", String(34)),
    Column("state", String(16), nullable=False),
    Column("timer_inactive", String(64)),
    Column("timer_closed", String(64)),
    Column("date_inactive", UtcDateTime),
    Column("date_closed", UtcDateTime),
    Column("email_address", Text),
    Column("email_name", Text),
    # The index the next message gets: a counter, so indexes are never reused.
    Column("next_message_index", Integer, nullable=False, server_default="0"),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    UniqueConstraint("service_sid", "unique_name"),
    Index(None, "service_sid", "id"),
)

scoped_webhooks = Table(
    "scoped_webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column(
        "conversation_sid",
        String(34),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target", String(16), nullable=False),
    Column("url", Text),
    Column("method", String(8)),
    Column("filters", JSON, nullable=False),
    Column("triggers", JSON, nullable=False),
    Column("flow_sid", String(34)),
    Column("replay_after", Integer),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Column("ordered", Flag, nullable=False, server_default="0"),  # chinwag's: domain/ordering.py
    Index(None, "conversation_sid", "id"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column(
        "conversation_sid",
        String(34),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("identity", Text),
    Column("attributes", Text, nullable=False),
    Column("role_sid", String(34)),
    Column("messaging_address", Text),
    Column("proxy_address", Text),
    Column("projected_address", Text),
    Column("last_read_message_index", Integer),
    Column("last_read_timestamp", Text),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # A User Conversation's push setting, `default` or `muted` (user-conversation-resource).
    Column("notification_level", String(16), nullable=False, server_default="default"),
    UniqueConstraint("conversation_sid", "identity"),
    UniqueConstraint("conversation_sid", "messaging_address"),
    Index(None, "conversation_sid", "id"),
    # A user's conversations, and ParticipantConversations by Identity or Address,
    # page on id across the whole service.
    Index(None, "service_sid", "identity", "id"),
    Index(None, "service_sid", "messaging_address", "id"),
)

# The (address, proxy address) pair each SMS/WhatsApp participant of an active or inactive
# conversation holds: one conversation per pair in an account (errors/50416), kept by the
# unique constraint across processes. Closing the conversation deletes its rows.
address_pairs = Table(
    "address_pairs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_sid", String(34), nullable=False),
    Column("address", Text, nullable=False),
    Column("proxy_address", Text, nullable=False),
    Column(
        "participant_sid",
        String(34),
        ForeignKey("participants.sid", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column(
        "conversation_sid",
        String(34),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    UniqueConstraint("account_sid", "address", "proxy_address"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("identity", Text, nullable=False),
    Column("friendly_name", Text),
    Column("attributes", Text, nullable=False),
    Column("role_sid", String(34)),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    UniqueConstraint("service_sid", "identity"),
    Index(None, "service_sid", "id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column(
        "conversation_sid",
        String(34),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("message_index", Integer, nullable=False),
    Column("author", Text),
    Column("body", Text),
    Column("attributes", Text, nullable=False),
    Column("participant_sid", String(34)),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # The attached media as the message JSON shows them ({sid, content_type, filename,
    # size}), copied from `media` at creation: media are immutable, lists read no join.
    Column("media", JSON),
    Column("content_sid", String(34)),  # a Content template (HX...), not stored here
    UniqueConstraint("conversation_sid", "message_index"),
    # Lists page on id within a conversation: no sort of the whole conversation.
    Index(None, "conversation_sid", "id"),
    # A client SDK's list: its newest change and what changed after an event, by seek.
    Index(None, "conversation_sid", "date_updated"),
)

# chinwag's media store (standing in for Twilio's Media Content Service): the bytes in
# the database, so they survive restarts and travel with it on both engines. A medium
# goes with its service, and with the message it was attached to.
media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("conversation_sid", String(34)),  # null until attached
    Column(
        "message_sid",
        String(34),
        ForeignKey("messages.sid", ondelete="CASCADE"),
        index=True,  # deleting a message cascades here: without it PostgreSQL scans
    ),
    Column("content_type", Text, nullable=False),
    Column("filename", Text),
    Column("size", Integer, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # Last: SQLite writes an upload's zeroblob(size) lazily only as a record's last
    # column, else it builds the whole zero-filled record in memory (store/media.py).
    Column("content", LargeBinary, nullable=False),
    Index(None, "service_sid", "id"),
)
# PostgreSQL compresses a bytea by default, and then every MiB a download reads by
# `substring` decompresses it from its start; most media are compressed already.
UNCOMPRESSED_MEDIA = "ALTER TABLE media ALTER COLUMN content SET STORAGE EXTERNAL"
_UNCOMPRESSED = DDL(UNCOMPRESSED_MEDIA)  # type: ignore[no-untyped-call]  # SQLAlchemy's own
event.listen(media, "after_create", _UNCOMPRESSED.execute_if(dialect="postgresql"))

# What was removed from a conversation's Sync objects (a message by its index, a
# participant by its SID), so a client subscribing again after being away hears of it
# (twilsock/feed.py); store/removals.py keeps each conversation's last week of them.
sync_removals = Table(
    "sync_removals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "conversation_sid",
        String(34),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("object", String(16), nullable=False),  # "messages" or "roster"
    Column("item_key", String(34), nullable=False),
    Column("removed_at", UtcDateTime, nullable=False),
    Index(None, "conversation_sid", "removed_at"),
)

# Delivery receipts: one per (message, non-chat participant it went to), its latest status.
delivery_receipts = Table(
    "delivery_receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column("conversation_sid", String(34), nullable=False),
    Column(
        "message_sid",
        String(34),
        ForeignKey("messages.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "participant_sid",
        String(34),
        ForeignKey("participants.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("channel_message_sid", String(34)),
    Column("status", String(16), nullable=False),
    Column("error_code", Integer, nullable=False, server_default="0"),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime),  # null until the receipt is updated (spec)
    # When the simulated carrier reports `delivered` (--receipt-delay); null: nothing due.
    # In the table, so a pending move survives a restart and one server makes it.
    Column("date_due", UtcDateTime),
    UniqueConstraint("message_sid", "participant_sid"),
    # A message's receipts page on id; a page of messages reads its receipts by message.
    Index(None, "message_sid", "id"),
    # Deleting a participant cascades here: without it PostgreSQL scans the table.
    Index(None, "participant_sid"),
    # The timer loop's look-up of receipts whose carrier report is due.
    Index(None, "date_due"),
    # A client SDK subscribing again hears of the receipts changed since (migration 0023).
    Index(None, "conversation_sid"),
)

# What an SMS or WhatsApp customer received: one row per (message, recipient participant).
# No foreign keys: the record of what was sent outlives the conversation, as a carrier's does.
outbound_messages = Table(
    "outbound_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),  # the channel message SID, SM/WA
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34), nullable=False),
    Column("conversation_sid", String(34), nullable=False),
    Column("message_sid", String(34), nullable=False),
    Column("participant_sid", String(34), nullable=False),
    Column("receipt_sid", String(34), nullable=False),
    Column("from_address", Text, nullable=False),
    Column("to_address", Text, nullable=False),
    Column("body", Text),
    Column("date_created", UtcDateTime, nullable=False),
    # Lists are the account's, newest first, maybe for one recipient.
    Index(None, "account_sid", "id"),
    Index(None, "account_sid", "to_address", "id"),
)

# Push registrations of a service's users (what an SDK client registers for its device).
bindings = Table(
    "bindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("identity", Text, nullable=False),
    Column("binding_type", String(16), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("credential_sid", String(34)),
    Column("message_types", JSON, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # One registration per device address and push technology: registering again replaces it.
    UniqueConstraint("service_sid", "binding_type", "endpoint"),
    Index(None, "service_sid", "id"),
    Index(None, "service_sid", "identity"),  # a user's bindings go when the user does
)

# The push notifications Twilio would have sent: one row per (event, binding), with the
# FCM or APNs payload, written in the transaction of the change that caused it. No key
# into the binding or the conversation: the record of what was pushed outlives them.
pushes = Table(
    "pushes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),  # the payload's twi_message_id
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("conversation_sid", String(34), nullable=False),
    Column("message_sid", String(34)),  # new-message pushes only
    Column("message_type", String(64), nullable=False),  # new_message, ...
    Column("identity", Text, nullable=False),
    Column("binding_sid", String(34), nullable=False),
    Column("binding_type", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("credential_sid", String(34)),
    Column("payload", JSON, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    # Lists are a service's, newest first; the CLI's span every account.
    Index(None, "service_sid", "id"),
)

# A service's own pre- and post-event webhooks (Services/{sid}/Configuration/Webhooks).
# `filters` and `method` are NULL until given, as Twilio's fetchEmpty example reads.
service_webhooks = Table(
    "service_webhooks",
    metadata,
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account_sid", String(34), nullable=False),
    Column("pre_webhook_url", Text),
    Column("post_webhook_url", Text),
    Column("filters", JSON(none_as_null=True)),
    Column("method", String(8)),
    Column("ordered", Flag, nullable=False, server_default="0"),  # chinwag's: domain/ordering.py
)

# The account's global webhooks (/v1/Configuration/Webhooks): every service of the
# account without a configuration of its own sends its events here.
global_webhooks = Table(
    "global_webhooks",
    metadata,
    Column("account_sid", String(34), ForeignKey("accounts.sid"), primary_key=True),
    Column("pre_webhook_url", Text),
    Column("post_webhook_url", Text),
    Column("filters", JSON(none_as_null=True)),
    Column("method", String(8)),
    Column("target", String(16), nullable=False),
    Column("ordered", Flag, nullable=False, server_default="0"),  # chinwag's: domain/ordering.py
)

# A service's roles: the four defaults every service is created with, and custom ones.
roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("friendly_name", Text, nullable=False),
    Column("type", String(16), nullable=False),  # "conversation" or "service"
    Column("permissions", JSON, nullable=False),  # in the order given
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "service_sid", "id"),
)

# One row per service, written when the service is created. The role SIDs are not
# foreign keys: domain/roles.py refuses to delete a role the configuration names,
# and a service's deletion cascades to both tables.
service_configurations = Table(
    "service_configurations",
    metadata,
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account_sid", String(34), nullable=False),
    Column("default_conversation_creator_role_sid", String(34)),
    Column("default_conversation_role_sid", String(34)),
    Column("default_chat_service_role_sid", String(34)),
    Column("reachability_enabled", Flag, nullable=False, default=False),
)

# Push notification settings (Configuration/Notifications), absent until first set.
service_notifications = Table(
    "service_notifications",
    metadata,
    Column(
        "service_sid",
        String(34),
        ForeignKey("services.sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account_sid", String(34), nullable=False),
    Column("log_enabled", Flag, nullable=False),
    Column("new_message_enabled", Flag, nullable=False),
    Column("new_message_template", Text),
    Column("new_message_sound", Text),
    Column("new_message_badge_count_enabled", Flag, nullable=False),
    Column("new_message_with_media_enabled", Flag, nullable=False),
    Column("new_message_with_media_template", Text),
    Column("added_to_conversation_enabled", Flag, nullable=False),
    Column("added_to_conversation_template", Text),
    Column("added_to_conversation_sound", Text),
    Column("removed_from_conversation_enabled", Flag, nullable=False),
    Column("removed_from_conversation_template", Text),
    Column("removed_from_conversation_sound", Text),
)

# Event Streams (events.twilio.com/v1): an account's sinks, the subscriptions that pick
# which event types go to a sink, and each subscription's types (domain/sinks.py).
sinks = Table(
    "sinks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("description", Text, nullable=False),
    Column("sink_type", String(16), nullable=False),
    Column("sink_configuration", JSON, nullable=False),  # as shown: destination, method, ...
    Column("status", String(16), nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Column("ordered", Flag, nullable=False, server_default="0"),  # chinwag's: domain/ordering.py
    Index(None, "account_sid", "id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("sink_sid", String(34), ForeignKey("sinks.sid", ondelete="CASCADE"), nullable=False),
    Column("description", Text, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
    Index(None, "sink_sid"),
)

subscribed_events = Table(
    "subscribed_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_sid",
        String(34),
        ForeignKey("subscriptions.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("account_sid", String(34), nullable=False),
    Column("type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    UniqueConstraint("subscription_sid", "type"),
    # Publishing asks, for every event, which of the account's sinks want its type.
    Index(None, "account_sid", "type"),
)

# The Webhooks configuration API (webhooks.twilio.com/v1/Webhooks): an account's shared
# signing keys, the Settings that sign, time and retry with them, and the Rules that pick
# a Setting by URL (domain/webhook_rules.py). Their ids are TypeIDs (twilio/type_ids.py).
shared_keys = Table(
    "shared_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(64), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("secret", Text, nullable=False),  # shown once, at creation; signs deliveries
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
)

webhook_settings = Table(
    "webhook_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(64), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("description", Text, nullable=False),
    # `signature`: None when the Setting does not sign (the auth token still does).
    Column("shared_key_sid", String(64), ForeignKey("shared_keys.sid")),
    Column("algorithm", String(16)),
    # `connection`: None when not given (chinwag's own timeout and retry schedule).
    Column("connect_timeout_ms", Integer),
    Column("read_timeout_ms", Integer),
    Column("total_timeout_ms", Integer),
    Column("retry_count", Integer),
    Column("retry_on", JSON),
    Column("edge_zones", JSON),  # kept and shown as given; nothing to route here
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
    Index(None, "shared_key_sid"),
)

webhook_rules = Table(
    "webhook_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(64), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("match_type", String(16), nullable=False),
    Column("pattern", Text, nullable=False),  # the exact URL, the prefix, or "" (DEFAULT)
    # One or two Settings, each with its share of the traffic (percent).
    Column("setting_sid", String(64), ForeignKey("webhook_settings.sid"), nullable=False),
    Column("percentage", Integer, nullable=False),
    Column("second_setting_sid", String(64), ForeignKey("webhook_settings.sid")),
    Column("second_percentage", Integer),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # The claim asks, for every delivery, whether its account has any Rule.
    Index(None, "account_sid", "id"),
    Index(None, "setting_sid"),
    Index(None, "second_setting_sid"),
)

# What a Rule's create, update or delete answered: Twilio's async Operation, which
# chinwag completes at once (the Rule is in force when the call returns).
webhook_operations = Table(
    "webhook_operations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(64), nullable=False, unique=True),
    Column("account_sid", String(34), nullable=False),
    Column("resource_sid", String(64), nullable=False),  # the Rule's id
    Column("date_created", UtcDateTime, nullable=False),
    Index(None, "account_sid", "id"),
)

# The transactional outbox: one row per (event, webhook that wants it), written in
# the same transaction as the change that caused the event.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(36), nullable=False, unique=True),  # I-Twilio-Idempotency-Token
    Column("account_sid", String(34), nullable=False),
    Column("service_sid", String(34)),  # None: a sink's test event, of no service
    Column("conversation_sid", String(34)),
    # None: the service-level post-event webhook; an Event Streams sink's SID (DG...) for
    # target "sink", so that one sink's deliveries queue as one webhook's do.
    Column("webhook_sid", String(34)),
    Column("target", String(16), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("url", Text),
    Column("flow_sid", String(34)),  # studio target: the URL is resolved at send time
    Column("method", String(8), nullable=False),
    Column("params", Pairs, nullable=False),  # in Twilio's order; none for a sink
    Column("body", Text),  # a sink's JSON body: its CloudEvents (None for a form webhook)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
    # Claimed by a worker until then; a worker that dies leaves it to expire.
    Column("lease_until", UtcDateTime),
    Column("response_status", Integer),
    Column("error", Text),
    Column("date_created", UtcDateTime, nullable=False),
    Column("date_updated", UtcDateTime, nullable=False),
    # An ordered delivery's order (store/outbox.order_key): its webhook or sink and its
    # conversation, whose deliveries go one at a time in id order. NULL: not ordered.
    Column("order_key", String(80)),
    Index(None, "status", "next_attempt_at"),
    Index(None, "conversation_sid", "id"),
    Index(None, "webhook_sid", "status", "next_attempt_at"),  # one webhook's next rows
)
# Ordered deliveries only: a row without an order_key is in neither index, so the
# unordered path never writes or reads them. The first finds an order's unfinished rows;
# the second lets at most one of them be pending (the head), however they were queued.
_ORDERED = deliveries.c.order_key.is_not(None)
_PENDING_HEAD = _ORDERED & (deliveries.c.status == "pending")
Index(
    None,
    deliveries.c.order_key,
    deliveries.c.status,
    deliveries.c.id,
    sqlite_where=_ORDERED,
    postgresql_where=_ORDERED,
)
Index(
    None,
    deliveries.c.order_key,
    unique=True,
    sqlite_where=_PENDING_HEAD,
    postgresql_where=_PENDING_HEAD,
)

# Every attempt to send a delivery, kept for inspection.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),  # 1 for the first
    Column("started_at", UtcDateTime, nullable=False),
    Column("url", Text, nullable=False),
    Column("method", String(8), nullable=False),
    Column("response_status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("response_excerpt", Text, nullable=False),  # the first KiB of the answer
    Column("error", Text),  # the error class when there was no answer
    Index(None, "delivery_id", "attempt"),
)
