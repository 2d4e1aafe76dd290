"""participants' notification level, and their lookups across a service

Revision ID: 0010
Revises: 0009

User Conversations (`/Users/{UserSid}/Conversations`) show and update a
participant's `notification_level`. They list a user's participants across the
service by identity, and ParticipantConversations lists them by identity or by
messaging address: both page on id, so each gets an index ending in id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "notification_level", sa.String(length=16), server_default="default", nullable=False
            )
        )
        batch_op.create_index(
            batch_op.f("ix_participants_service_sid_identity_id"),
            ["service_sid", "identity", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_participants_service_sid_messaging_address_id"),
            ["service_sid", "messaging_address", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_service_sid_messaging_address_id"))
        batch_op.drop_index(batch_op.f("ix_participants_service_sid_identity_id"))
        batch_op.drop_column("notification_level")
