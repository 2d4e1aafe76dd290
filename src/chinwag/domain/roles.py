"""Roles: what a service's users (`service` roles) and participants (`conversation` roles) may do.

Permission values: twilio.com/docs/conversations/api/role-resource ("Permission values");
default roles: Chat's defaults (twilio.com/docs/chat/permissions) in Conversations' names;
codes from twilio.com/docs/api/errors/<code>. What a role allows an SDK user is
domain/permissions.py; REST calls act with the account's credentials, which roles do
not restrict. docs/compatibility.md lists each rule and how sure it is.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from chinwag.store import roles as store
from chinwag.store import service_configurations as configurations
from chinwag.store.roles import Role
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    ConversationRoleNotFound,
    InvalidParameter,
    InvalidRoleType,
    PermissionNotFound,
    RoleInUse,
    RoleNotFound,
    TwilioError,
)

# "It can be up to 64 characters long." (spec, FriendlyName)
MAX_FRIENDLY_NAME = 64


class RoleType(StrEnum):
    CONVERSATION = "conversation"
    SERVICE = "service"


# role-resource, "Service Scope Permissions". Migration 0008 writes these lists out
# again on purpose (a migration imports no app code): a change here is a new migration.
SERVICE_PERMISSIONS = (
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
)
# role-resource, "Conversation Scope Permissions".
CONVERSATION_PERMISSIONS = (
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
)
PERMISSIONS = {
    RoleType.SERVICE: frozenset(SERVICE_PERMISSIONS),
    RoleType.CONVERSATION: frozenset(CONVERSATION_PERMISSIONS),
}


@dataclass(frozen=True)
class DefaultRole:
    friendly_name: str
    type: RoleType
    permissions: tuple[str, ...]


# Every service starts with the two pairs of roles Twilio creates: an admin and a user
# of each scope, named as Twilio names them (the Chat roles Conversations inherited).
# Admins hold every permission of their scope; the users hold Chat's "channel user" and
# "service user" sets in Conversations' names (docs/compatibility.md, "Roles").
CHANNEL_ADMIN = DefaultRole("channel admin", RoleType.CONVERSATION, CONVERSATION_PERMISSIONS)
CHANNEL_USER = DefaultRole(
    "channel user",
    RoleType.CONVERSATION,
    (
        "sendMessage",
        "sendMediaMessage",
        "leaveConversation",
        "editNotificationLevel",
        "editOwnParticipantAttributes",
        "editOwnMessage",
        "editOwnMessageAttributes",
        "deleteOwnMessage",
    ),
)
SERVICE_ADMIN = DefaultRole("service admin", RoleType.SERVICE, SERVICE_PERMISSIONS)
SERVICE_USER = DefaultRole(
    "service user", RoleType.SERVICE, ("createConversation", "joinConversation", "editOwnUserInfo")
)
DEFAULT_ROLES = (CHANNEL_ADMIN, CHANNEL_USER, SERVICE_ADMIN, SERVICE_USER)


@dataclass(frozen=True)
class RoleFields:
    """Parameters of a create; None means "not given"."""

    friendly_name: str | None = None
    type: str | None = None
    permissions: list[str] | None = None


def create_default_roles(conn: Connection, service: Service) -> dict[DefaultRole, Role]:
    """The four roles every service is created with, in one statement."""
    now = utc_now()
    created = {
        default: _new_role(service, default.friendly_name, default.type, default.permissions, now)
        for default in DEFAULT_ROLES
    }
    store.insert_roles(conn, list(created.values()))
    return created


def create_role(conn: Connection, service: Service, fields: RoleFields) -> Role:
    name = fields.friendly_name
    if name is None or not name.strip():
        raise InvalidParameter("Missing required parameter FriendlyName in the post body")
    if len(name) > MAX_FRIENDLY_NAME:
        raise InvalidParameter(f"FriendlyName is longer than {MAX_FRIENDLY_NAME} characters.")
    if fields.type is None:
        raise InvalidParameter("Missing required parameter Type in the post body")
    try:
        kind = RoleType(fields.type)
    except ValueError:
        raise InvalidRoleType(
            f"Type '{fields.type}' is not one of: conversation, service."
        ) from None
    role = _new_role(service, name, kind, _permissions(kind, fields.permissions), utc_now())
    store.insert_roles(conn, [role])
    return role


def update_role(conn: Connection, role: Role, permissions: list[str] | None) -> Role:
    """The permissions are replaced: "the update action replaces all previously assigned
    permissions" (spec)."""
    given = _permissions(RoleType(role.type), permissions)
    changed = replace(role, permissions=list(given), date_updated=utc_now())
    store.save_role(conn, changed)
    return changed


def delete_role(conn: Connection, role: Role) -> None:
    """Refused while the service configuration names the role or a participant or user has
    it: they would be left with a role that does not exist.

    On PostgreSQL the caller runs this at READ COMMITTED with the role's row locked for
    update (`find_role(..., for_delete=True)`), and whoever gives the role shares that
    row (`require_role`): a write giving the role either commits first, and is seen by
    the holder queries below, or waits for the delete and then finds no role.
    """
    config = configurations.get_configuration(conn, role.service_sid)
    if config is not None:
        for name, sid in (
            ("DefaultConversationCreatorRoleSid", config.default_conversation_creator_role_sid),
            ("DefaultConversationRoleSid", config.default_conversation_role_sid),
            ("DefaultChatServiceRoleSid", config.default_chat_service_role_sid),
        ):
            if sid == role.sid:
                raise _in_use(role, f"the service configuration's {name}")
    holder = store.holder(conn, role.sid)
    if holder is not None:
        kind = "participant" if holder.startswith(sids.PARTICIPANT) else "user"
        raise _in_use(role, f"{kind} {holder}")
    store.delete_role(conn, role.sid)


def find_role(
    conn: Connection, service: Service, sid: str, missing: TwilioError, *, for_delete: bool = False
) -> Role:
    role = None
    if sids.is_sid(sid, sids.ROLE):
        role = store.get_role(conn, service.sid, sid, "update" if for_delete else None)
    if role is None:
        raise missing
    return role


def require_role(conn: Connection, service_sid: str, sid: str, kind: RoleType, name: str) -> Role:
    """The role `sid` of the service, of type `kind`, that the parameter `name` gives;
    else 50109 for a conversation role, 50100 for a service role. The role's row is
    shared until the caller commits, so it cannot be deleted meanwhile (`delete_role`)."""
    role = store.get_role(conn, service_sid, sid, "share")
    if role is not None and role.type == kind:
        return role
    found = "is not" if role is None else f"is a {role.type} role, not"
    message = f"{name} '{sid}' {found} a {kind} role of service {service_sid}."
    if kind is RoleType.CONVERSATION:
        raise ConversationRoleNotFound(message)
    raise RoleNotFound(message)


def _permissions(kind: RoleType, given: list[str] | None) -> tuple[str, ...]:
    """The given permissions, each once, in order; each must be one of the type's."""
    if not given:
        raise InvalidParameter("Missing required parameter Permission in the post body")
    for permission in given:
        if permission not in PERMISSIONS[kind]:
            raise PermissionNotFound(
                f"Permission '{permission}' is not a permission of {kind} roles."
            )
    return tuple(dict.fromkeys(given))


def _new_role(
    service: Service, name: str, kind: RoleType, permissions: tuple[str, ...], now: datetime
) -> Role:
    return Role(
        sid=sids.new_sid(sids.ROLE),
        account_sid=service.account_sid,
        service_sid=service.sid,
        friendly_name=name,
        type=str(kind),
        permissions=list(permissions),
        date_created=now,
        date_updated=now,
    )


def _in_use(role: Role, holder: str) -> TwilioError:
    return RoleInUse(f"Role {role.sid} ('{role.friendly_name}') is in use by {holder}.")
