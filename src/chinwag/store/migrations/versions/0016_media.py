"""media store; media and content templates on messages

Revision ID: 0016
Revises: 0015

chinwag's media store (what Twilio's Media Content Service holds) keeps each upload's
bytes in the database; a message keeps the media attached to it, as its JSON shows
them, and its Content template SID.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("content_sid", sa.String(length=34), nullable=True))
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=True),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_sid"],
            ["messages.sid"],
            name=op.f("fk_media_message_sid_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_media_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("sid", name=op.f("uq_media_sid")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_message_sid"), ["message_sid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_media_service_sid_id"), ["service_sid", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_service_sid_id"))
        batch_op.drop_index(batch_op.f("ix_media_message_sid"))
    op.drop_table("media")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("content_sid")
        batch_op.drop_column("media")
