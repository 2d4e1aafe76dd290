"""Push bindings: the devices a service's users registered for push notifications.

Twilio's API only lists, fetches and deletes them: a client SDK registers them (its
`setPushRegistrationId`, through Twilio's registrar: `register_device`), and chinwag's
own create stands in for that registration. Rules: the spec's Binding schema and
twilio.com/docs/conversations/push-notification-configuration; docs/compatibility.md
lists each with its source.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import Connection

from chinwag.domain.reachability import telling_notifiable
from chinwag.store import bindings as store
from chinwag.store import credentials as credential_store
from chinwag.store.bindings import Binding, BindingFilter
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound

# Identity: the user's, limited like a user's (domain/users.py MAX_IDENTITY).
MAX_IDENTITY = 256
# The push-notification-configuration doc's types: new messages, added to and removed
# from a conversation. A registration that names none subscribes to all of them.
MESSAGE_TYPES = ("new_message", "added_to_conversation", "removed_from_conversation")


class BindingType(StrEnum):
    """What a client registers: APNs, or Firebase (`fcm`, and the older `gcm`)."""

    APN = "apn"
    GCM = "gcm"
    FCM = "fcm"


# What a client SDK subscribes a registration to (@twilio/notifications: the SDKs'
# NotificationTypes), as the push types a binding shows; the SDK also names the typing
# indicator and consumption updates, which are never pushed.
SDK_MESSAGE_TYPES = {f"twilio.conversations.{kind}": kind for kind in MESSAGE_TYPES}
# The credentials a binding of each type is pushed with (FCM took over GCM's keys).
CREDENTIAL_TYPES = {"apn": ("apn",), "fcm": ("fcm", "gcm"), "gcm": ("gcm", "fcm")}

# The list filter takes the spec's whole enum; `twilsock` bindings are Twilio's own
# socket, which chinwag never registers, so filtering on it finds none.
LISTED_TYPES = frozenset({*BindingType, "twilsock"})


@dataclass(frozen=True)
class BindingFields:
    """A registration; None means "not given"."""

    identity: str | None = None
    binding_type: str | None = None
    address: str | None = None
    credential_sid: str | None = None
    message_types: Sequence[str] | None = None


def register_binding(
    conn: Connection, service: Service, fields: BindingFields
) -> tuple[Binding, bool]:
    """Create the binding, or replace the one with the same type and address; True if new.

    A device's address (its APNs or FCM token) is registered again whenever the app
    starts, and passes to whoever signs in on it: one binding per type and address.
    """
    identity, binding_type, address = _required(fields)
    existing = store.get_by_endpoint(conn, service.sid, binding_type, address)
    changed = {identity} | ({existing.identity} if existing is not None else set())
    with telling_notifiable(conn, service.sid, service.account_sid, changed):
        return _register(conn, service, existing, identity, binding_type, address, fields)


def _register(
    conn: Connection,
    service: Service,
    existing: Binding | None,
    identity: str,
    binding_type: str,
    address: str,
    fields: BindingFields,
) -> tuple[Binding, bool]:
    message_types = _message_types(fields.message_types)
    credential_sid = _credential_sid(fields.credential_sid)
    now = utc_now()
    if existing is not None:
        binding = replace(
            existing,
            identity=identity,
            credential_sid=credential_sid,
            message_types=message_types,
            date_updated=now,
        )
        store.save_binding(conn, binding)
        return binding, False
    binding = Binding(
        sid=sids.new_sid(sids.BINDING),
        account_sid=service.account_sid,
        service_sid=service.sid,
        identity=identity,
        binding_type=binding_type,
        endpoint=address,
        credential_sid=credential_sid,
        message_types=message_types,
        date_created=now,
        date_updated=now,
    )
    store.insert_binding(conn, binding)
    return binding, True


@dataclass(frozen=True)
class DeviceRegistration:
    """What a client SDK registers: its user, the push channel (`fcm`, `apn`), the
    device's token, the SDK's message types, and the credential its token names."""

    identity: str
    binding_type: str | None
    address: str | None
    message_types: Sequence[str]
    token_credential_sid: str | None = None


def register_device(
    conn: Connection, service: Service, registration: DeviceRegistration
) -> tuple[Binding, bool]:
    """The SDK's registration as a binding of its user; True if new."""
    kinds = [
        SDK_MESSAGE_TYPES[name] for name in registration.message_types if name in SDK_MESSAGE_TYPES
    ]
    fields = BindingFields(
        identity=registration.identity,
        binding_type=registration.binding_type,
        address=registration.address,
        credential_sid=credential_for(
            conn, service.account_sid, registration.binding_type, registration.token_credential_sid
        ),
        message_types=kinds,
    )
    return register_binding(conn, service, fields)


def credential_for(
    conn: Connection, account_sid: str, binding_type: str | None, named: str | None
) -> str | None:
    """The credential a device's pushes go with: the one the Access Token's chat grant names
    (`push_credential_sid`: "If using Chat include Credential SID in access token",
    twilio.com/docs/api/errors/52002) when it is the account's, of the binding's kind;
    else the account's newest of that kind; else none. Never a refusal: an SDK retries
    a refused registration for minutes."""
    kinds = CREDENTIAL_TYPES.get(binding_type or "", ())
    if named and sids.is_sid(named, sids.CREDENTIAL):
        found = credential_store.get_credential(conn, account_sid, named)
        if found is not None and found.type in kinds:
            return found.sid
    newest = credential_store.newest_of_types(conn, account_sid, kinds) if kinds else None
    return newest.sid if newest is not None else None


def unregister_device(conn: Connection, service: Service, identity: str, sid: str) -> None:
    """The SDK's unregistration by the SID its registration answered: the user's binding
    goes; another user's, or none, is left as it is (the answer is the same)."""
    found = store.get_binding(conn, service.sid, sid) if sids.is_sid(sid, sids.BINDING) else None
    if found is not None and found.identity == identity:
        delete_binding(conn, found)


def unregister_address(
    conn: Connection, service: Service, identity: str, binding_type: str, address: str
) -> None:
    """`removePushRegistrations`: the user's binding of that type and device token goes."""
    found = store.get_by_endpoint(conn, service.sid, binding_type, address)
    if found is not None and found.identity == identity:
        delete_binding(conn, found)


def find_binding(conn: Connection, service: Service, sid: str, path: str) -> Binding:
    """The service's binding by SID; a malformed or unknown one is 404 20404."""
    found = store.get_binding(conn, service.sid, sid) if sids.is_sid(sid, sids.BINDING) else None
    if found is None:
        raise ResourceNotFound.for_path(path)
    return found


def delete_binding(conn: Connection, binding: Binding) -> None:
    with telling_notifiable(conn, binding.service_sid, binding.account_sid, {binding.identity}):
        store.delete_binding(conn, binding.sid)


def binding_filter(
    binding_types: Sequence[str] | None, identities: Sequence[str] | None
) -> BindingFilter:
    """The list's filters: each `BindingType` must be one of the spec's enum."""
    for value in binding_types or ():
        if value not in LISTED_TYPES:
            allowed = ", ".join(sorted(LISTED_TYPES))
            raise InvalidParameter(f"BindingType '{value}' is not one of: {allowed}.")
    return BindingFilter(binding_types=binding_types, identities=identities)


def _required(fields: BindingFields) -> tuple[str, str, str]:
    if not fields.identity:
        raise InvalidParameter("Identity is required.")
    if len(fields.identity) > MAX_IDENTITY:
        raise InvalidParameter(f"Identity is longer than {MAX_IDENTITY} characters.")
    if not fields.binding_type:
        raise InvalidParameter("BindingType is required.")
    if fields.binding_type not in set(BindingType):
        allowed = ", ".join(kind.value for kind in BindingType)
        raise InvalidParameter(f"BindingType '{fields.binding_type}' is not one of: {allowed}.")
    if not fields.address:
        raise InvalidParameter("Address is required: the device's push token.")
    return fields.identity, fields.binding_type, fields.address


def _message_types(given: Sequence[str] | None) -> list[str]:
    if not given:
        return list(MESSAGE_TYPES)
    for value in given:
        if value not in MESSAGE_TYPES:
            allowed = ", ".join(MESSAGE_TYPES)
            raise InvalidParameter(f"MessageTypes '{value}' is not one of: {allowed}.")
    return list(dict.fromkeys(given))  # in the given order, each once


def _credential_sid(value: str | None) -> str | None:
    if not value:
        return None
    if not sids.is_sid(value, sids.CREDENTIAL):
        raise InvalidParameter(
            f"CredentialSid '{value}' is not a Credential SID (CR + 32 hex digits)."
        )
    return value
