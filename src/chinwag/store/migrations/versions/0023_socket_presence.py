"""the client SDK's open sockets, for reachability

Revision ID: 0023
Revises: 0022

A service with reachability (`ReachabilityEnabled`) shows a user online while one of
their client SDK sockets is open, on any server: each open socket is a row here, its
lease renewed by its server, so that a crashed server's sockets stop counting when
their lease runs out.

And an index of delivery receipts by conversation: a client SDK subscribing again to a
conversation's messages hears of the receipts that changed while it was away.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "socket_presence",
        sa.Column("socket_id", sa.String(length=32), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("user_sid", sa.String(length=34), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("socket_id", name=op.f("pk_socket_presence")),
    )
    op.create_index(
        op.f("ix_socket_presence_user_sid_expires_at"),
        "socket_presence",
        ["user_sid", "expires_at"],
    )
    op.create_index(
        op.f("ix_delivery_receipts_conversation_sid"), "delivery_receipts", ["conversation_sid"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_receipts_conversation_sid"), table_name="delivery_receipts")
    op.drop_index(op.f("ix_socket_presence_user_sid_expires_at"), table_name="socket_presence")
    op.drop_table("socket_presence")
