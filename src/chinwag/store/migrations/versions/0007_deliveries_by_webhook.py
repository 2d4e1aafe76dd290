"""deliveries claimed by webhook

Revision ID: 0007
Revises: 0006

When one of a worker's webhook queues ends, the worker claims that webhook's next
due rows alone (outbox.claim_for_webhooks) instead of reading the whole backlog
past every webhook it is still sending to, a read that grew with the backlog and
took much of the worker's time (docs/benchmarks.md, "Delivery").
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_webhook_sid_status_next_attempt_at"),
            ["webhook_sid", "status", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_webhook_sid_status_next_attempt_at"))
