"""account configuration, address configurations, push credentials

Revision ID: 0009
Revises: 0008

Every account gets its Configuration row; existing accounts are backfilled here
with a default Messaging Service SID of their own (MG + 32 hex digits), as new
accounts get one when they are created (domain/accounts.create_account).
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    configurations = op.create_table(
        "account_configurations",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("default_messaging_service_sid", sa.String(length=34), nullable=False),
        sa.Column("default_inactive_timer", sa.String(length=64), nullable=True),
        sa.Column("default_closed_timer", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_account_configurations_account_sid_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_account_configurations")),
    )
    op.create_table(
        "address_configurations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=True),
        sa.Column("address_country", sa.String(length=2), nullable=True),
        sa.Column("auto_creation_enabled", sa.Integer(), nullable=False),
        sa.Column("auto_creation_type", sa.String(length=16), nullable=False),
        sa.Column("conversation_service_sid", sa.String(length=34), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_method", sa.String(length=8), nullable=True),
        sa.Column("webhook_filters", sa.JSON(), nullable=False),
        sa.Column("studio_flow_sid", sa.String(length=34), nullable=True),
        sa.Column("studio_retry_count", sa.Integer(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_address_configurations_account_sid_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_service_sid"],
            ["services.sid"],
            name=op.f("fk_address_configurations_conversation_service_sid_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_configurations")),
        sa.UniqueConstraint(
            "account_sid", "address", name=op.f("uq_address_configurations_account_sid_address")
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_address_configurations_sid")),
    )
    with op.batch_alter_table("address_configurations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_configurations_account_sid_id"),
            ["account_sid", "id"],
            unique=False,
        )
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=True),
        sa.Column("sandbox", sa.Integer(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("private_key", sa.Text(), nullable=True),
        sa.Column("api_key", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"], ["accounts.sid"], name=op.f("fk_credentials_account_sid_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("sid", name=op.f("uq_credentials_sid")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_account_sid_id"), ["account_sid", "id"], unique=False
        )

    accounts = sa.table("accounts", sa.column("sid", sa.String))
    existing = [row.sid for row in op.get_bind().execute(sa.select(accounts.c.sid))]
    if existing:
        op.bulk_insert(
            configurations,
            [
                {
                    "account_sid": sid,
                    # A fresh SID per account, as domain/accounts.create_account gives one.
                    "default_messaging_service_sid": "MG" + secrets.token_hex(16),
                    "default_inactive_timer": None,
                    "default_closed_timer": None,
                }
                for sid in existing
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_account_sid_id"))
    op.drop_table("credentials")
    with op.batch_alter_table("address_configurations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_configurations_account_sid_id"))
    op.drop_table("address_configurations")
    op.drop_table("account_configurations")
