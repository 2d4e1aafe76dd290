"""outbound channel messages and due carrier reports

Revision ID: 0019
Revises: 0016

What an SMS or WhatsApp customer received (`outbound_messages`), and when a receipt's
simulated carrier report (`sent` -> `delivered`) is due (`delivery_receipts.date_due`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=False),
        sa.Column("receipt_sid", sa.String(length=34), nullable=False),
        sa.Column("from_address", sa.Text(), nullable=False),
        sa.Column("to_address", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("sid", name=op.f("uq_outbound_messages_sid")),
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_account_sid_id"), ["account_sid", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_messages_account_sid_to_address_id"),
            ["account_sid", "to_address", "id"],
            unique=False,
        )
    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_due", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_delivery_receipts_date_due"), ["date_due"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_receipts_date_due"))
        batch_op.drop_column("date_due")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_messages_account_sid_to_address_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_messages_account_sid_id"))
    op.drop_table("outbound_messages")
