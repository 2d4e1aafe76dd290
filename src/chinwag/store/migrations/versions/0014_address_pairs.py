"""address pairs held by open conversations

Revision ID: 0014
Revises: 0011

One active or inactive conversation per SMS/WhatsApp (address, proxy address) pair in
an account (errors/50416). Existing open conversations' participants are entered; where
two already share a pair, one of them (the lowest SID) keeps it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


OPEN_PAIRS = """
    FROM participants {p} JOIN conversations {c} ON {c}.sid = {p}.conversation_sid
    WHERE {c}.state != 'closed'
      AND {p}.messaging_address IS NOT NULL AND {p}.proxy_address IS NOT NULL
"""
BACKFILL = f"""
INSERT INTO address_pairs (account_sid, address, proxy_address, participant_sid, conversation_sid)
SELECT p.account_sid, p.messaging_address, p.proxy_address, p.sid, p.conversation_sid
{OPEN_PAIRS.format(p="p", c="c")}
  AND p.sid = (
    SELECT MIN(q.sid) {OPEN_PAIRS.format(p="q", c="d")}
      AND q.account_sid = p.account_sid
      AND q.messaging_address = p.messaging_address
      AND q.proxy_address = p.proxy_address
  )
"""


def upgrade() -> None:
    op.create_table(
        "address_pairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("proxy_address", sa.Text(), nullable=False),
        sa.Column("participant_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_sid", sa.String(length=34), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name=op.f("fk_address_pairs_conversation_sid_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_sid"],
            ["participants.sid"],
            name=op.f("fk_address_pairs_participant_sid_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_pairs")),
        sa.UniqueConstraint(
            "account_sid",
            "address",
            "proxy_address",
            name=op.f("uq_address_pairs_account_sid_address_proxy_address"),
        ),
        sa.UniqueConstraint("participant_sid", name=op.f("uq_address_pairs_participant_sid")),
    )
    with op.batch_alter_table("address_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_pairs_conversation_sid"), ["conversation_sid"], unique=False
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("address_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_pairs_conversation_sid"))

    op.drop_table("address_pairs")
