"""Conversation users: a service's chat identities, with a role and attributes.

Rules: twilio.com/docs/conversations/api/user-resource and the spec; codes from
twilio.com/docs/api/errors/<code>; docs/compatibility.md lists each with its source.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain.attributes import USER_LIMIT, check_attributes
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish_service_event
from chinwag.domain.service_configuration import service_role
from chinwag.store import bindings as binding_store
from chinwag.store import users as store
from chinwag.store.changes import mark_user_changed
from chinwag.store.services import Service
from chinwag.store.users import User
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook, utc_now
from chinwag.twilio.errors import InvalidParameter, TwilioError, UserExists
from chinwag.twilio.forms import check_length

# Twilio documents no Identity limit for users; participants' is 256 characters
# (conversations-limits), and a user's identity is what a participant joins with.
MAX_IDENTITY = 256
# Undocumented for users too: a conversation's FriendlyName limit (spec).
MAX_FRIENDLY_NAME = 256


@dataclass(frozen=True)
class UserFields:
    """Parameters of a create or update; None means "not given"."""

    identity: str | None = None
    friendly_name: str | None = None
    attributes: str | None = None
    role_sid: str | None = None


def create_user(conn: Connection, service: Service, fields: UserFields, origin: Origin) -> User:
    _check(fields)
    identity = fields.identity
    if not identity:
        raise InvalidParameter("Identity is required.")
    if store.get_by_identity(conn, service.sid, identity) is not None:
        raise UserExists(f"Identity '{identity}' is already a user of service {service.sid}.")
    now = utc_now()
    user = User(
        sid=sids.new_sid(sids.USER),
        account_sid=service.account_sid,
        service_sid=service.sid,
        identity=identity,
        friendly_name=fields.friendly_name or None,
        attributes=fields.attributes or "{}",
        role_sid=service_role(conn, service.sid, service.account_sid, fields.role_sid),
        date_created=now,
        date_updated=now,
    )
    store.insert_user(conn, user)
    _publish(conn, user, "onUserAdded", origin)
    return user


def ensure_user(
    conn: Connection, account_sid: str, service_sid: str, identity: str, origin: Origin
) -> None:
    """The service's user for a chat participant's identity, created if there is none.

    "Every Conversation Participant who connects with a Chat SDK ... is backed by a
    User" (user-resource). A user created here is announced with onUserAdded, as one
    created through /Users is; Twilio does not say whether it sends one.
    """
    if store.get_by_identity(conn, service_sid, identity) is not None:
        return
    now = utc_now()
    user = User(
        sid=sids.new_sid(sids.USER),
        account_sid=account_sid,
        service_sid=service_sid,
        identity=identity,
        friendly_name=None,
        attributes="{}",
        role_sid=service_role(conn, service_sid, account_sid, None),
        date_created=now,
        date_updated=now,
    )
    if store.insert_user_if_absent(conn, user):
        _publish(conn, user, "onUserAdded", origin)


def update_user(conn: Connection, user: User, fields: UserFields, origin: Origin) -> User:
    """Given parameters replace the stored ones.

    An empty FriendlyName clears it; an empty Attributes resets them to `{}` ("If
    attributes have not been set, `{}` is returned", spec).
    """
    _check(fields)
    changed = replace(
        user,
        friendly_name=_given(fields.friendly_name, user.friendly_name),
        attributes=user.attributes if fields.attributes is None else fields.attributes or "{}",
        role_sid=(
            service_role(conn, user.service_sid, user.account_sid, fields.role_sid)
            if fields.role_sid
            else user.role_sid
        ),
        date_updated=utc_now(),
    )
    store.save_user(conn, changed)
    mark_user_changed(conn, changed.service_sid, changed.sid)  # clients' `US….info` maps
    _publish(conn, changed, "onUserUpdated", origin, updated=True)
    return changed


def delete_user(conn: Connection, user: User) -> None:
    """The user goes with its push bindings. Twilio has no onUserRemoved event, so
    nothing is published."""
    binding_store.delete_for_identity(conn, user.service_sid, user.identity)
    store.delete_user(conn, user.sid)


def find_user(
    conn: Connection, service: Service, sid_or_identity: str, missing: TwilioError
) -> User:
    """By SID or identity: "This value can be either the `sid` or the `identity`" (spec)."""
    found = None
    if sids.is_sid(sid_or_identity, sids.USER):
        found = store.get_user(conn, service.sid, sid_or_identity)
    if found is None:  # an identity may itself look like a SID
        found = store.get_by_identity(conn, service.sid, sid_or_identity)
    if found is None:
        raise missing
    return found


def user_params(user: User, *, updated: bool = False) -> list[tuple[str, str]]:
    """The parameters of onUserAdded/onUserUpdated (docs/events.md); unset ones are left out.

    isOnline and isNotifiable are sent "if set"; chinwag has no reachability, so never.
    The envelope (domain/events.py) adds ChatServiceSid with the other common ones.
    """
    params: list[tuple[str, str | None]] = [
        ("UserSid", user.sid),
        ("Identity", user.identity),
        ("FriendlyName", user.friendly_name),
        ("RoleSid", user.role_sid),
        ("Attributes", user.attributes),
        ("DateCreated", to_webhook(user.date_created)),
    ]
    if updated:
        params.append(("DateUpdated", to_webhook(user.date_updated)))
    return [(name, value) for name, value in params if value is not None]


def _publish(
    conn: Connection, user: User, event_type: str, origin: Origin, *, updated: bool = False
) -> None:
    params = user_params(user, updated=updated)
    publish_service_event(conn, user.service_sid, user.account_sid, event_type, params, origin)


def _given(value: str | None, current: str | None) -> str | None:
    if value is None:
        return current
    return value or None


def _check(fields: UserFields) -> None:
    check_length("Identity", fields.identity, MAX_IDENTITY)
    check_length("FriendlyName", fields.friendly_name, MAX_FRIENDLY_NAME)
    if fields.role_sid and not sids.is_sid(fields.role_sid, sids.ROLE):
        raise InvalidParameter(
            f"RoleSid '{fields.role_sid}' is not a Role SID (RL + 32 hex digits)."
        )
    check_attributes(fields.attributes, USER_LIMIT)
