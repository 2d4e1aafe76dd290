"""Event Streams: sinks, subscriptions, and sink deliveries in the outbox

Revision ID: 0027
Revises: 0026

An account's sinks, its subscriptions and each subscription's event types
(events.twilio.com/v1). A sink's CloudEvents are delivered through the same outbox as
webhooks: a delivery gets the JSON `body` it sends, and a sink's test event belongs
to no service, so `service_sid` may be NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sinks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sink_type", sa.String(length=16), nullable=False),
        sa.Column("sink_configuration", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sinks")),
        sa.UniqueConstraint("sid", name=op.f("uq_sinks_sid")),
    )
    op.create_index(op.f("ix_sinks_account_sid_id"), "sinks", ["account_sid", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("sink_sid", sa.String(length=34), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sink_sid"],
            ["sinks.sid"],
            name=op.f("fk_subscriptions_sink_sid_sinks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("sid", name=op.f("uq_subscriptions_sid")),
    )
    op.create_index(op.f("ix_subscriptions_account_sid_id"), "subscriptions", ["account_sid", "id"])
    op.create_index(op.f("ix_subscriptions_sink_sid"), "subscriptions", ["sink_sid"])
    op.create_table(
        "subscribed_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_sid"],
            ["subscriptions.sid"],
            name=op.f("fk_subscribed_events_subscription_sid_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribed_events")),
        sa.UniqueConstraint(
            "subscription_sid", "type", name=op.f("uq_subscribed_events_subscription_sid_type")
        ),
    )
    op.create_index(
        op.f("ix_subscribed_events_account_sid_type"),
        "subscribed_events",
        ["account_sid", "type"],
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.alter_column("service_sid", existing_type=sa.String(length=34), nullable=True)


def downgrade() -> None:
    # A sink's test event has no service: it cannot stay once service_sid is required.
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN "
        "(SELECT id FROM deliveries WHERE service_sid IS NULL)"
    )
    op.execute("DELETE FROM deliveries WHERE service_sid IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("service_sid", existing_type=sa.String(length=34), nullable=False)
        batch_op.drop_column("body")
    op.drop_index(op.f("ix_subscribed_events_account_sid_type"), table_name="subscribed_events")
    op.drop_table("subscribed_events")
    op.drop_index(op.f("ix_subscriptions_sink_sid"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_account_sid_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_sinks_account_sid_id"), table_name="sinks")
    op.drop_table("sinks")
