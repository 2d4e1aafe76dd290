"""Webhooks configuration: shared keys, settings, rules and their operations

Revision ID: 0028
Revises: 0027

An account's shared signing keys, the Settings that name one (and timeouts and
retries), the Rules that pick a Setting by URL, and what each Rule change answered
(webhooks.twilio.com/v1/Webhooks; docs/events.md, "Shared keys").
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_keys")),
        sa.UniqueConstraint("sid", name=op.f("uq_shared_keys_sid")),
    )
    op.create_index(op.f("ix_shared_keys_account_sid_id"), "shared_keys", ["account_sid", "id"])
    op.create_table(
        "webhook_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("shared_key_sid", sa.String(length=64), nullable=True),
        sa.Column("algorithm", sa.String(length=16), nullable=True),
        sa.Column("connect_timeout_ms", sa.Integer(), nullable=True),
        sa.Column("read_timeout_ms", sa.Integer(), nullable=True),
        sa.Column("total_timeout_ms", sa.Integer(), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=True),
        sa.Column("retry_on", sa.JSON(), nullable=True),
        sa.Column("edge_zones", sa.JSON(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shared_key_sid"],
            ["shared_keys.sid"],
            name=op.f("fk_webhook_settings_shared_key_sid_shared_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_settings")),
        sa.UniqueConstraint("sid", name=op.f("uq_webhook_settings_sid")),
    )
    op.create_index(
        op.f("ix_webhook_settings_account_sid_id"), "webhook_settings", ["account_sid", "id"]
    )
    op.create_index(
        op.f("ix_webhook_settings_shared_key_sid"), "webhook_settings", ["shared_key_sid"]
    )
    op.create_table(
        "webhook_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("match_type", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("setting_sid", sa.String(length=64), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=False),
        sa.Column("second_setting_sid", sa.String(length=64), nullable=True),
        sa.Column("second_percentage", sa.Integer(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["setting_sid"],
            ["webhook_settings.sid"],
            name=op.f("fk_webhook_rules_setting_sid_webhook_settings"),
        ),
        sa.ForeignKeyConstraint(
            ["second_setting_sid"],
            ["webhook_settings.sid"],
            name=op.f("fk_webhook_rules_second_setting_sid_webhook_settings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_rules")),
        sa.UniqueConstraint("sid", name=op.f("uq_webhook_rules_sid")),
    )
    op.create_index(op.f("ix_webhook_rules_account_sid_id"), "webhook_rules", ["account_sid", "id"])
    op.create_index(op.f("ix_webhook_rules_setting_sid"), "webhook_rules", ["setting_sid"])
    op.create_index(
        op.f("ix_webhook_rules_second_setting_sid"), "webhook_rules", ["second_setting_sid"]
    )
    op.create_table(
        "webhook_operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("resource_sid", sa.String(length=64), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_operations")),
        sa.UniqueConstraint("sid", name=op.f("uq_webhook_operations_sid")),
    )
    op.create_index(
        op.f("ix_webhook_operations_account_sid_id"), "webhook_operations", ["account_sid", "id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_operations_account_sid_id"), table_name="webhook_operations")
    op.drop_table("webhook_operations")
    op.drop_index(op.f("ix_webhook_rules_second_setting_sid"), table_name="webhook_rules")
    op.drop_index(op.f("ix_webhook_rules_setting_sid"), table_name="webhook_rules")
    op.drop_index(op.f("ix_webhook_rules_account_sid_id"), table_name="webhook_rules")
    op.drop_table("webhook_rules")
    op.drop_index(op.f("ix_webhook_settings_shared_key_sid"), table_name="webhook_settings")
    op.drop_index(op.f("ix_webhook_settings_account_sid_id"), table_name="webhook_settings")
    op.drop_table("webhook_settings")
    op.drop_index(op.f("ix_shared_keys_account_sid_id"), table_name="shared_keys")
    op.drop_table("shared_keys")
