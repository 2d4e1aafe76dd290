"""Every table, in one place. Alembic migrations create exactly this schema."""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
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
    Column("friendly_name", Text, nullable=False),
    Column("date_created", UtcDateTime, nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sid", String(34), nullable=False, unique=True),
    Column("account_sid", String(34), ForeignKey("accounts.sid"), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("is_default", Integer, nullable=False, default=0),
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
    Index(None, "conversation_sid", "id"),
)
