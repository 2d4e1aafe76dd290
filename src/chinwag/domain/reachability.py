"""Reachability: whether a user is online (a client SDK socket open) and notifiable.

Twilio's rules (twilio.com/docs/conversations/reachability, the spec's User schema):
off by default, turned on by the service configuration's `ReachabilityEnabled`; while
off, a user's `is_online` / `is_notifiable` are null and the SDK's `isOnline` /
`isNotifiable` too. While on:
- online: "true if the User is currently connected to the service" — here, while one
  of the user's client SDK sockets is open on any server (store/presence.py, a row per
  socket with a lease its server renews, so a crashed server's sockets stop counting);
- notifiable: "true if the User has a potentially valid Push Notification registration
  (APN or GCM)" — here, a push binding (apn, gcm or fcm) of the user's identity in the
  service (REST's Bindings), whether or not the user is online;
- a change of `online`, or of `notifiable` (a push binding registered or removed), fires
  onUserUpdated with `isOnline` / `isNotifiable` (docs/events.md, the lower-case `i`
  Twilio uses) and updates the user's `US….info` map for clients.

The flag is read when a socket opens: sockets opened before reachability was turned on
are not counted until they reconnect (so a service without it writes nothing per socket).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish_service_event
from chinwag.domain.service_configuration import current_configuration
from chinwag.domain.users import user_params
from chinwag.store import bindings as binding_store
from chinwag.store import presence
from chinwag.store import users as user_store
from chinwag.store.changes import mark_user_changed
from chinwag.store.users import User
from chinwag.twilio.dates import utc_now

# A server renews its sockets' leases every RENEW_EVERY; a lease three times as long
# survives two missed renewals (a busy event loop) before a user is shown offline.
RENEW_EVERY = timedelta(seconds=30)
LEASE = 3 * RENEW_EVERY
PUSH_BINDINGS = ("apn", "gcm", "fcm")
# A lease running out is noticed by a server, not by the user's client: no ClientIdentity.
EXPIRY = Origin(source="API", webhooks_enabled=True)
# Twilio's registrar, not the user's client, tells of a binding's effect on reachability.
BINDING_CHANGE = Origin(source="API", webhooks_enabled=True)


@dataclass(frozen=True)
class Reachability:
    online: bool
    notifiable: bool


def is_enabled(conn: Connection, service_sid: str, account_sid: str) -> bool:
    return current_configuration(conn, service_sid, account_sid).reachability_enabled


def reachability_of(conn: Connection, user: User, now: datetime) -> Reachability | None:
    """The user's reachability; None when the service has it off (Twilio's null)."""
    found = reachabilities_of(conn, [user], now)
    return None if found is None else found[user.sid]


def reachabilities_of(
    conn: Connection, users: Sequence[User], now: datetime
) -> dict[str, Reachability] | None:
    """Of users of one service, by SID, in two queries; None when the service has it off."""
    if not users:
        return {}
    first = users[0]
    if not is_enabled(conn, first.service_sid, first.account_sid):
        return None
    online = presence.online_of(conn, [user.sid for user in users], now)
    identities = [user.identity for user in users]
    pushable = binding_store.identities_with_binding(
        conn, first.service_sid, identities, PUSH_BINDINGS
    )
    return {user.sid: Reachability(user.sid in online, user.identity in pushable) for user in users}


@contextmanager
def telling_notifiable(
    conn: Connection, service_sid: str, account_sid: str, identities: set[str]
) -> Iterator[None]:
    """Around a change of these users' push bindings: those it makes notifiable, or no
    longer, are told as a change of online is (`_announce`)."""
    if not is_enabled(conn, service_sid, account_sid):
        yield
        return
    users = sorted(identities)
    before = binding_store.identities_with_binding(conn, service_sid, users, PUSH_BINDINGS)
    yield
    after = binding_store.identities_with_binding(conn, service_sid, users, PUSH_BINDINGS)
    for identity in sorted(before ^ after):
        user = user_store.get_by_identity(conn, service_sid, identity)
        if user is not None:
            _announce(conn, user, utc_now(), BINDING_CHANGE)


def socket_opened(
    conn: Connection, socket_id: str, user: User, now: datetime, origin: Origin
) -> bool:
    """Count the user's new socket, if the service has reachability (returns whether it
    is counted); a user coming online is told (onUserUpdated, clients' `US….info`)."""
    if not is_enabled(conn, user.service_sid, user.account_sid):
        return False
    was_online = presence.is_online(conn, user.sid, now)
    presence.open_socket(conn, socket_id, user.account_sid, user.service_sid, user.sid, now + LEASE)
    if not was_online:
        _announce(conn, user, now, origin)
    return True


def socket_closed(
    conn: Connection, socket_id: str, user_sid: str, service_sid: str, now: datetime, origin: Origin
) -> None:
    """The socket is gone; a user with no other live socket went offline."""
    presence.close_socket(conn, socket_id)
    _went_offline(conn, service_sid, user_sid, now, origin)


def renew(conn: Connection, socket_ids: Sequence[str], now: datetime) -> set[str]:
    """Extend this server's sockets' leases; returns those whose row is gone (to reopen)."""
    return presence.renew(conn, socket_ids, now + LEASE)


def expire(conn: Connection, now: datetime) -> int:
    """Forget sockets whose lease ran out (a crashed server's) and tell of users now
    offline; returns how many sockets were forgotten."""
    gone = presence.take_expired(conn, now)
    for service_sid, user_sid in gone:
        _went_offline(conn, service_sid, user_sid, now, EXPIRY)
    return len(gone)


def _went_offline(
    conn: Connection, service_sid: str, user_sid: str, now: datetime, origin: Origin
) -> None:
    if presence.is_online(conn, user_sid, now):
        return
    user = user_store.get_user(conn, service_sid, user_sid)
    if user is not None and is_enabled(conn, user.service_sid, user.account_sid):
        _announce(conn, user, now, origin)


def _announce(conn: Connection, user: User, now: datetime, origin: Origin) -> None:
    """onUserUpdated with the new reachability, and clients' `US….info` maps re-read."""
    mark_user_changed(conn, user.service_sid, user.sid)
    found = reachability_of(conn, user, now)
    if found is None:
        return
    params = user_params(user, updated=True)
    params += [
        ("isOnline", "true" if found.online else "false"),
        ("isNotifiable", "true" if found.notifiable else "false"),
    ]
    publish_service_event(conn, user.service_sid, user.account_sid, "onUserUpdated", params, origin)
