"""messages listed by conversation in id order

Revision ID: 0006
Revises: 0005

A conversation's messages are paged on id (store/paging.py). Without an index
on (conversation_sid, id) every list page sorted all of the conversation's
messages on SQLite, so a page took longer the longer the conversation
(docs/benchmarks.md, "Message history").
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_conversation_sid_id"), ["conversation_sid", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_conversation_sid_id"))
