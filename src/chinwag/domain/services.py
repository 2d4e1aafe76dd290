"""Conversation Services: create, find, delete."""

from sqlalchemy import Connection

from chinwag.domain.service_configuration import set_up
from chinwag.store import services as store
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilio.forms import check_length

# "The human-readable name of this service, limited to 256 characters." (spec)
MAX_FRIENDLY_NAME = 256


def create_service(
    conn: Connection, account_sid: str, friendly_name: str | None, *, is_default: bool = False
) -> Service:
    if friendly_name is None or not friendly_name.strip():
        raise InvalidParameter("Missing required parameter FriendlyName in the post body")
    check_length("FriendlyName", friendly_name, MAX_FRIENDLY_NAME)
    now = utc_now()
    service = Service(
        sid=sids.new_sid(sids.SERVICE),
        account_sid=account_sid,
        friendly_name=friendly_name,
        is_default=is_default,
        date_created=now,
        date_updated=now,
    )
    store.insert_service(conn, service)
    set_up(conn, service)  # its default roles and configuration, in the same transaction
    return service


def find_service(conn: Connection, account_sid: str, sid: str, path: str) -> Service:
    """The account's service `sid`; another account's service is as missing as an unknown one."""
    service = store.get_service(conn, account_sid, sid) if sids.is_sid(sid, sids.SERVICE) else None
    if service is None:
        raise ResourceNotFound.for_path(path)
    return service


def default_service(conn: Connection, account_sid: str) -> Service:
    service = store.get_default_service(conn, account_sid)
    if service is None:  # every account is created with one; only a deleted one is missing
        raise ResourceNotFound("This account has no default Conversation Service.")
    return service


def delete_service(conn: Connection, service: Service) -> None:
    """Deletes the service with its conversations and their webhooks, its users, roles and
    configuration (foreign-key cascade, in the caller's transaction)."""
    store.delete_service(conn, service.sid)
