"""global webhook configuration apart from each service's

Revision ID: 0015
Revises: 0014

`/v1/Configuration/Webhooks` (the account's global configuration, for every service
without one of its own) and `/v1/Services/{sid}/Configuration/Webhooks` were one row
per service until now: the first path read and wrote the default service's row.
Which of the two paths wrote a default service's row cannot be told, so the row
becomes the account's global configuration: `/v1/Configuration/Webhooks` reads what it
read before, and the default service's events go where they went (no service
configuration of its own, so the global one). Other services keep their rows.

A service's configuration loses `target`, which Twilio's service schema does not have
(the global one keeps it), and `filters`/`method` may be NULL: never given, as the
spec's fetchEmpty example reads.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DEFAULT_SERVICES = "SELECT sid FROM services WHERE is_default = 1"


def upgrade() -> None:
    op.create_table(
        "global_webhooks",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("pre_webhook_url", sa.Text(), nullable=True),
        sa.Column("post_webhook_url", sa.Text(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_global_webhooks_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_global_webhooks")),
    )
    op.execute(
        "INSERT INTO global_webhooks "
        "(account_sid, pre_webhook_url, post_webhook_url, filters, method, target) "
        "SELECT account_sid, pre_webhook_url, post_webhook_url, filters, method, target "
        f"FROM service_webhooks WHERE service_sid IN ({DEFAULT_SERVICES})"
    )
    op.execute(f"DELETE FROM service_webhooks WHERE service_sid IN ({DEFAULT_SERVICES})")
    with op.batch_alter_table("service_webhooks", schema=None) as batch_op:
        batch_op.alter_column("filters", existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column("method", existing_type=sa.String(length=8), nullable=True)
        batch_op.drop_column("target")


def downgrade() -> None:
    op.execute("UPDATE service_webhooks SET filters = '[]' WHERE filters IS NULL")
    op.execute("UPDATE service_webhooks SET method = 'POST' WHERE method IS NULL")
    with op.batch_alter_table("service_webhooks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target", sa.String(length=16), server_default="webhook", nullable=False)
        )
    with op.batch_alter_table("service_webhooks", schema=None) as batch_op:
        batch_op.alter_column("target", server_default=None)
        batch_op.alter_column("filters", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("method", existing_type=sa.String(length=8), nullable=False)
    # The global configuration goes back to being the default service's, where it has none.
    op.execute(
        "INSERT INTO service_webhooks (service_sid, account_sid, pre_webhook_url, "
        "post_webhook_url, filters, method, target) "
        "SELECT s.sid, g.account_sid, g.pre_webhook_url, g.post_webhook_url, "
        "COALESCE(g.filters, '[]'), COALESCE(g.method, 'POST'), g.target "
        "FROM global_webhooks g JOIN services s ON s.account_sid = g.account_sid "
        "AND s.is_default = 1 "
        "WHERE s.sid NOT IN (SELECT service_sid FROM service_webhooks)"
    )
    op.drop_table("global_webhooks")
