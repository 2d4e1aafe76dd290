"""Ordered delivery: a flag on webhooks and sinks, and an order on their deliveries

Revision ID: 0029
Revises: 0028

chinwag's own option (domain/ordering.py): a conversation-scoped webhook, a service's or
the account's webhook configuration, or an Event Streams sink may send one conversation's
deliveries one at a time, in order. Each gets an `ordered` flag (off for every existing
one); a delivery gets the `order_key` it is sent in order with (none for existing ones),
and two partial indexes that hold ordered deliveries only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

FLAGGED = ("scoped_webhooks", "service_webhooks", "global_webhooks", "sinks")
ORDERED = sa.text("order_key IS NOT NULL")
PENDING_HEAD = sa.text("order_key IS NOT NULL AND status = 'pending'")


def upgrade() -> None:
    for table in FLAGGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("ordered", sa.Integer(), server_default="0", nullable=False)
            )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_key", sa.String(length=80), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_deliveries_order_key_status_id"),
            ["order_key", "status", "id"],
            sqlite_where=ORDERED,
            postgresql_where=ORDERED,
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_order_key"),
            ["order_key"],
            unique=True,
            sqlite_where=PENDING_HEAD,
            postgresql_where=PENDING_HEAD,
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_order_key"))
        batch_op.drop_index(batch_op.f("ix_deliveries_order_key_status_id"))
        batch_op.drop_column("order_key")
    # A waiting delivery has no order to wait in any more: it is due now.
    op.execute(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = date_created "
        "WHERE status = 'waiting'"
    )
    for table in reversed(FLAGGED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ordered")
