"""recorded push notifications

Revision ID: 0026
Revises: 0025

chinwag sends no push notification: each one Twilio would send (a new message, being
added to or removed from a conversation) is recorded with its FCM or APNs payload, one
row per binding it would reach (domain/pushes.py), and listed by
`/chinwag/v1/Services/{ChatServiceSid}/Pushes`. A service's pushes go with it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pushes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("binding_sid", sa.String(length=34), nullable=False),
        sa.Column("binding_type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("credential_sid", sa.String(length=34), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_pushes_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pushes")),
        sa.UniqueConstraint("sid", name=op.f("uq_pushes_sid")),
    )
    op.create_index(op.f("ix_pushes_service_sid_id"), "pushes", ["service_sid", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pushes_service_sid_id"), table_name="pushes")
    op.drop_table("pushes")
