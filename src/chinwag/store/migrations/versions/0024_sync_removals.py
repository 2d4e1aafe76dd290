"""what was removed from a conversation's Sync objects, for clients that were away

Revision ID: 0024
Revises: 0023

A client SDK subscribing again to a conversation's messages or participants replays
what changed after the last event it heard; a removed row is gone, so its removal is
recorded here (store/removals.py), each conversation's last week of them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_removals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.Column("object", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=34), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name=op.f("fk_sync_removals_conversation_sid_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_removals")),
    )
    op.create_index(
        op.f("ix_sync_removals_conversation_sid_removed_at"),
        "sync_removals",
        ["conversation_sid", "removed_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_removals_conversation_sid_removed_at"), table_name="sync_removals")
    op.drop_table("sync_removals")
