"""delivery receipts and push bindings

Revision ID: 0011
Revises: 0010

A receipt hangs off a message and a participant, a binding off a service: each
goes with its parent by foreign-key cascade. A user's bindings are removed by
identity when the user is deleted (domain/users.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=False),
        sa.Column("channel_message_sid", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), server_default="0", nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_sid"],
            ["messages.sid"],
            name=op.f("fk_delivery_receipts_message_sid_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_sid"],
            ["participants.sid"],
            name=op.f("fk_delivery_receipts_participant_sid_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_receipts")),
        sa.UniqueConstraint(
            "message_sid",
            "participant_sid",
            name=op.f("uq_delivery_receipts_message_sid_participant_sid"),
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_delivery_receipts_sid")),
    )
    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_receipts_message_sid_id"), ["message_sid", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delivery_receipts_participant_sid"), ["participant_sid"], unique=False
        )

    op.create_table(
        "bindings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("binding_type", sa.String(length=16), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("credential_sid", sa.String(length=34), nullable=True),
        sa.Column("message_types", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_bindings_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bindings")),
        sa.UniqueConstraint(
            "service_sid",
            "binding_type",
            "endpoint",
            name=op.f("uq_bindings_service_sid_binding_type_endpoint"),
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_bindings_sid")),
    )
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bindings_service_sid_id"), ["service_sid", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bindings_service_sid_identity"),
            ["service_sid", "identity"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bindings_service_sid_identity"))
        batch_op.drop_index(batch_op.f("ix_bindings_service_sid_id"))
    op.drop_table("bindings")

    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_receipts_participant_sid"))
        batch_op.drop_index(batch_op.f("ix_delivery_receipts_message_sid_id"))
    op.drop_table("delivery_receipts")
