"""Service configuration (/v1/Services/{ChatServiceSid}/Configuration): the roles a service
gives by default, and whether it has reachability.

Rules: the spec's `UpdateServiceConfigurationRequest` and
twilio.com/docs/conversations/api/service-configuration-resource; docs/compatibility.md.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain import roles
from chinwag.domain.roles import RoleType
from chinwag.store import service_configurations as store
from chinwag.store.service_configurations import ServiceConfiguration
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.errors import InvalidParameter

# Each default role parameter, its field, and the type of role it must name.
ROLE_PARAMETERS = (
    (
        "DefaultConversationCreatorRoleSid",
        "default_conversation_creator_role_sid",
        RoleType.CONVERSATION,
    ),
    ("DefaultConversationRoleSid", "default_conversation_role_sid", RoleType.CONVERSATION),
    ("DefaultChatServiceRoleSid", "default_chat_service_role_sid", RoleType.SERVICE),
)


@dataclass(frozen=True)
class ConfigurationChanges:
    """Parameters of an update; None means "not given"."""

    default_conversation_creator_role_sid: str | None = None
    default_conversation_role_sid: str | None = None
    default_chat_service_role_sid: str | None = None
    reachability_enabled: bool | None = None


def set_up(conn: Connection, service: Service) -> ServiceConfiguration:
    """A new service's default roles, and its configuration naming them: `channel admin`
    for a conversation's creator, `channel user` for other participants, `service user`
    for users (docs/compatibility.md, "Roles")."""
    created = roles.create_default_roles(conn, service)
    config = ServiceConfiguration(
        service_sid=service.sid,
        account_sid=service.account_sid,
        default_conversation_creator_role_sid=created[roles.CHANNEL_ADMIN].sid,
        default_conversation_role_sid=created[roles.CHANNEL_USER].sid,
        default_chat_service_role_sid=created[roles.SERVICE_USER].sid,
        reachability_enabled=False,
    )
    store.save_configuration(conn, config)
    return config


def current_configuration(
    conn: Connection, service_sid: str, account_sid: str
) -> ServiceConfiguration:
    """The stored configuration; one without defaults if the service has none (every
    service is created with one, and migration 0008 gave the older ones theirs)."""
    found = store.get_configuration(conn, service_sid)
    return found or ServiceConfiguration(service_sid, account_sid, None, None, None, False)


def fetch_configuration(conn: Connection, service: Service) -> ServiceConfiguration:
    return current_configuration(conn, service.sid, service.account_sid)


def update_configuration(
    conn: Connection, service: Service, changes: ConfigurationChanges
) -> ServiceConfiguration:
    """Each role given must be a role of this service of the parameter's type."""
    config = fetch_configuration(conn, service)
    for name, field, kind in ROLE_PARAMETERS:
        sid = getattr(changes, field)
        if sid is None:
            continue
        if not sids.is_sid(sid, sids.ROLE):
            raise InvalidParameter(f"{name} '{sid}' is not a Role SID (RL + 32 hex digits).")
        roles.require_role(conn, service.sid, sid, kind, name)
        config = replace(config, **{field: sid})
    if changes.reachability_enabled is not None:
        config = replace(config, reachability_enabled=changes.reachability_enabled)
    store.save_configuration(conn, config)
    return config


def conversation_role(
    conn: Connection, service_sid: str, account_sid: str, given: str | None
) -> str | None:
    """A participant's role: `given` if it is a conversation role of the service (else
    50109), or the service's DefaultConversationRoleSid."""
    if given:
        return roles.require_role(conn, service_sid, given, RoleType.CONVERSATION, "RoleSid").sid
    return current_configuration(conn, service_sid, account_sid).default_conversation_role_sid


def service_role(
    conn: Connection, service_sid: str, account_sid: str, given: str | None
) -> str | None:
    """A user's role: `given` if it is a service role of the service (else 50100), or the
    service's DefaultChatServiceRoleSid."""
    if given:
        return roles.require_role(conn, service_sid, given, RoleType.SERVICE, "RoleSid").sid
    return current_configuration(conn, service_sid, account_sid).default_chat_service_role_sid
