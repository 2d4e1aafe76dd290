"""roles, service configuration and notification settings

Revision ID: 0008
Revises: 0007

Every service gets Twilio's four default roles and a configuration naming them, as
new services do (domain/service_configuration.py), and the participants and users
without a role get the service's default one.

The default roles' permission lists below repeat those of domain/roles.py on purpose:
a migration must not import app code. It has to keep meaning what it meant when it
was written (a later change to the defaults is a new migration, not a silent change
to this one), and app code may import what a migration run cannot (the layering of
chinwag, settings, a newer schema in store/tables.py).
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CONVERSATION_PERMISSIONS = [
    "addNonChatParticipant",
    "addParticipant",
    "deleteAnyMessage",
    "deleteConversation",
    "deleteOwnMessage",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyParticipantAttributes",
    "editConversationAttributes",
    "editConversationName",
    "editNotificationLevel",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnParticipantAttributes",
    "leaveConversation",
    "removeParticipant",
    "sendMediaMessage",
    "sendMessage",
]
_SERVICE_PERMISSIONS = [
    "addParticipant",
    "createConversation",
    "deleteAnyMessage",
    "deleteConversation",
    "editAnyMessage",
    "editAnyMessageAttributes",
    "editAnyParticipantAttributes",
    "editAnyUserInfo",
    "editConversationAttributes",
    "editConversationName",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "editOwnParticipantAttributes",
    "editOwnUserInfo",
    "joinConversation",
    "removeParticipant",
]
_CHANNEL_USER = [
    "sendMessage",
    "sendMediaMessage",
    "leaveConversation",
    "editNotificationLevel",
    "editOwnParticipantAttributes",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "deleteOwnMessage",
]
_SERVICE_USER = ["createConversation", "joinConversation", "editOwnUserInfo"]
# name, type, permissions: in the order domain/roles.py creates them
_DEFAULT_ROLES = [
    ("channel admin", "conversation", _CONVERSATION_PERMISSIONS),
    ("channel user", "conversation", _CHANNEL_USER),
    ("service admin", "service", _SERVICE_PERMISSIONS),
    ("service user", "service", _SERVICE_USER),
]


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_roles_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("sid", name=op.f("uq_roles_sid")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roles_service_sid_id"), ["service_sid", "id"], unique=False
        )

    configurations = op.create_table(
        "service_configurations",
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("default_conversation_creator_role_sid", sa.String(length=34), nullable=True),
        sa.Column("default_conversation_role_sid", sa.String(length=34), nullable=True),
        sa.Column("default_chat_service_role_sid", sa.String(length=34), nullable=True),
        sa.Column("reachability_enabled", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_service_configurations_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_sid", name=op.f("pk_service_configurations")),
    )

    op.create_table(
        "service_notifications",
        sa.Column("service_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("log_enabled", sa.Integer(), nullable=False),
        sa.Column("new_message_enabled", sa.Integer(), nullable=False),
        sa.Column("new_message_template", sa.Text(), nullable=True),
        sa.Column("new_message_sound", sa.Text(), nullable=True),
        sa.Column("new_message_badge_count_enabled", sa.Integer(), nullable=False),
        sa.Column("new_message_with_media_enabled", sa.Integer(), nullable=False),
        sa.Column("new_message_with_media_template", sa.Text(), nullable=True),
        sa.Column("added_to_conversation_enabled", sa.Integer(), nullable=False),
        sa.Column("added_to_conversation_template", sa.Text(), nullable=True),
        sa.Column("added_to_conversation_sound", sa.Text(), nullable=True),
        sa.Column("removed_from_conversation_enabled", sa.Integer(), nullable=False),
        sa.Column("removed_from_conversation_template", sa.Text(), nullable=True),
        sa.Column("removed_from_conversation_sound", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_sid"],
            ["services.sid"],
            name=op.f("fk_service_notifications_service_sid_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_sid", name=op.f("pk_service_notifications")),
    )
    _give_every_service_its_defaults(roles, configurations)


def _give_every_service_its_defaults(roles: sa.Table, configurations: sa.Table) -> None:
    bind = op.get_bind()
    services = sa.table("services", sa.column("sid"), sa.column("account_sid"))
    participants = sa.table("participants", sa.column("service_sid"), sa.column("role_sid"))
    users = sa.table("users", sa.column("service_sid"), sa.column("role_sid"))
    now = datetime.now(UTC)
    for service_sid, account_sid in bind.execute(sa.select(services.c.sid, services.c.account_sid)):
        made = {}
        for name, kind, permissions in _DEFAULT_ROLES:
            made[name] = "RL" + secrets.token_hex(16)
            bind.execute(
                roles.insert().values(
                    sid=made[name],
                    account_sid=account_sid,
                    service_sid=service_sid,
                    friendly_name=name,
                    type=kind,
                    permissions=permissions,
                    date_created=now,
                    date_updated=now,
                )
            )
        bind.execute(
            configurations.insert().values(
                service_sid=service_sid,
                account_sid=account_sid,
                default_conversation_creator_role_sid=made["channel admin"],
                default_conversation_role_sid=made["channel user"],
                default_chat_service_role_sid=made["service user"],
                reachability_enabled=0,
            )
        )
        for table, role in ((participants, "channel user"), (users, "service user")):
            bind.execute(
                table.update()
                .where(table.c.service_sid == service_sid, table.c.role_sid.is_(None))
                .values(role_sid=made[role])
            )


def downgrade() -> None:
    op.drop_table("service_notifications")
    op.drop_table("service_configurations")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roles_service_sid_id"))
    op.drop_table("roles")
