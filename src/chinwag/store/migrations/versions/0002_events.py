"""participants, messages, service webhooks, delivery outbox

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=True),
        sa.Column("webhook_sid", sa.String(length=34), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("flow_sid", sa.String(length=34), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("token", name=op.f("uq_deliveries_token")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_conversation_sid_id"),
            ["conversation_sid", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "service_webhooks",
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("pre_webhook_url", sa.Text(), nullable=True),
        sa.Column("post_webhook_url", sa.Text(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_service_webhooks_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_sid", name=op.f("pk_service_webhooks")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("message_index", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name=op.f("fk_messages_conversation_sid_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "conversation_sid",
            "message_index",
            name=op.f("uq_messages_conversation_sid_message_index"),
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_messages_sid")),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("identity", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("role_sid", sa.String(length=34), nullable=True),
        sa.Column("messaging_address", sa.Text(), nullable=True),
        sa.Column("proxy_address", sa.Text(), nullable=True),
        sa.Column("projected_address", sa.Text(), nullable=True),
        sa.Column("last_read_message_index", sa.Integer(), nullable=True),
        sa.Column("last_read_timestamp", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name=op.f("fk_participants_conversation_sid_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint(
            "conversation_sid", "identity", name=op.f("uq_participants_conversation_sid_identity")
        ),
        sa.UniqueConstraint(
            "conversation_sid",
            "messaging_address",
            name=op.f("uq_participants_conversation_sid_messaging_address"),
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_participants_sid")),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participants_conversation_sid_id"),
            ["conversation_sid", "id"],
            unique=False,
        )

    # A plain ADD COLUMN: SQLite supports it with a constant default, and it avoids
    # the table rebuild of a batch operation.
    op.add_column(
        "conversations",
        sa.Column("next_message_index", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("next_message_index")

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_conversation_sid_id"))

    op.drop_table("participants")
    op.drop_table("messages")
    op.drop_table("service_webhooks")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_deliveries_conversation_sid_id"))

    op.drop_table("deliveries")
