"""The SDK's push registration: what `client.setPushRegistrationId`,
`unsetPushRegistrationId` and `removePushRegistrations` tunnel to Twilio's registrar
(`ers.us1.twilio.com/v1/registrations?productId=ip_messaging`), as Bindings of the
token's user in the token's service (domain/bindings.py).

Requests and answers as @twilio/notifications (bundled with twilio-conversations 3.0.1)
sends and reads them (`dist/RegistrarConnector.js`):
- `POST /v1/registrations`, JSON `{endpoint_platform, channel_type, version,
  message_types, data: {registration_id}}`: the SDK keeps the answer's `id` and
  retries any failure for minutes (2 s to 2 min apart), so a 2xx is what settles it;
- `DELETE /v1/registrations/{id}` (`unsetPushRegistrationId`, once all message types
  are unsubscribed);
- `DELETE /v1/registrations` with `{binding_type, address}` (`removePushRegistrations`:
  the device's registrations, whatever the SDK's own state).
"""

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from chinwag.domain.bindings import (
    DeviceRegistration,
    register_device,
    unregister_address,
    unregister_device,
)
from chinwag.domain.services import find_service
from chinwag.store.services import Service
from chinwag.twilio.errors import InvalidParameter
from chinwag.twilsock.router import NUL, TunnelledRequest

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Tunnel

Reply = tuple[int, Any]
REGISTRATIONS = "/v1/registrations"


async def register(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """A device's push token for the user: a new binding (201) or the same one again (200)."""
    body = request.json()
    data = body.get("data")
    token = data.get("registration_id") if isinstance(data, dict) else None
    types = body.get("message_types") or []
    if not (isinstance(types, list) and all(isinstance(name, str) for name in types)):
        raise InvalidParameter("message_types must be a list of message type names.")
    if token is not None and not (isinstance(token, str) and NUL not in token):
        raise InvalidParameter("data.registration_id must be a string, the device's push token.")
    session = tunnel.session
    registration = DeviceRegistration(
        identity=session.identity,
        binding_type=request.text("channel_type"),
        address=token,
        message_types=types,
        token_credential_sid=session.grant.push_credential_sid,
    )

    def work(conn: Connection) -> Any:
        return register_device(conn, _service(conn, tunnel), registration)

    binding, created = await tunnel.write(work)
    answer = {
        "id": binding.sid,
        "channel_type": binding.binding_type,
        "message_types": types,
        "data": {"registration_id": binding.endpoint},
    }
    return (201 if created else 200), answer


async def unregister(tunnel: "Tunnel", request: TunnelledRequest, registration: str) -> Reply:
    """`unsetPushRegistrationId`: the registration the SDK was answered goes."""
    identity = tunnel.session.identity

    def work(conn: Connection) -> None:
        unregister_device(conn, _service(conn, tunnel), identity, registration)

    await tunnel.write(work)
    return 200, {}


async def unregister_device_address(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """`removePushRegistrations(channelType, token)`: the user's binding of that device goes."""
    binding_type, address = request.text("binding_type"), request.text("address")
    if not binding_type or not address:
        raise InvalidParameter("binding_type and address are required.")
    identity = tunnel.session.identity

    def work(conn: Connection) -> None:
        unregister_address(conn, _service(conn, tunnel), identity, binding_type, address)

    await tunnel.write(work)
    return 200, {}


def _service(conn: Connection, tunnel: "Tunnel") -> Service:
    """The token's service, read again: it may have been deleted since the socket opened."""
    session = tunnel.session
    return find_service(conn, session.account.sid, session.service.sid, REGISTRATIONS)
