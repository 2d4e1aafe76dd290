"""messages by conversation and date_updated, for the client SDK's lists

Revision ID: 0025
Revises: 0024

A socket subscribing to a conversation's messages reads the list's newest change
(`max(date_updated)`) and the messages changed after its client's last event
(store/messages.py `newest_update`, `messages_updated_since`); without this index
both read every message of the conversation (bench/clients.py: 112 ms of CPU per
subscribing socket at 100,000 messages).
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_messages_conversation_sid_date_updated"),
        "messages",
        ["conversation_sid", "date_updated"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_conversation_sid_date_updated"), table_name="messages")
