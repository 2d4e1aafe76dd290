"""Push credentials: what an account would send APN, FCM or GCM push notifications with.

Rules: twilio.com/docs/conversations/api/credential-resource and the spec; docs/
compatibility.md lists each with its source. chinwag sends no push notifications: the
secrets (Certificate, PrivateKey, ApiKey, Secret) are kept as given and, as at Twilio,
never shown again.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.store import credentials as store
from chinwag.store.credentials import Credential
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidCredentialType, InvalidParameter, TwilioError

# credential_enum_push_type (spec); its examples send "GcM" and "FcM": any case.
TYPES = ("apn", "gcm", "fcm")
# "It can be up to 64 characters long." (spec, FriendlyName)
MAX_FRIENDLY_NAME = 64


@dataclass(frozen=True)
class CredentialFields:
    """Parameters of a create or update; None means "not given", an empty secret clears it."""

    type: str | None = None
    friendly_name: str | None = None
    certificate: str | None = None
    private_key: str | None = None
    sandbox: bool | None = None
    api_key: str | None = None
    secret: str | None = None


def create_credential(conn: Connection, account_sid: str, fields: CredentialFields) -> Credential:
    if not fields.type:
        raise InvalidParameter("Missing required parameter Type in the post body")
    now = utc_now()
    blank = Credential(
        sid=sids.new_sid(sids.CREDENTIAL),
        account_sid=account_sid,
        type=_type(fields.type),
        friendly_name=None,
        sandbox=False,
        certificate=None,
        private_key=None,
        api_key=None,
        secret=None,
        date_created=now,
        date_updated=now,
    )
    credential = _apply(blank, fields)
    store.insert_credential(conn, credential)
    return credential


def update_credential(
    conn: Connection, credential: Credential, fields: CredentialFields
) -> Credential:
    changed = replace(_apply(credential, fields), date_updated=utc_now())
    store.save_credential(conn, changed)
    return changed


def find_credential(
    conn: Connection, account_sid: str, sid: str, missing: TwilioError
) -> Credential:
    """The account's credential `sid`; another account's is as missing as an unknown one."""
    found = (
        store.get_credential(conn, account_sid, sid) if sids.is_sid(sid, sids.CREDENTIAL) else None
    )
    if found is None:
        raise missing
    return found


def delete_credential(conn: Connection, credential: Credential) -> None:
    store.delete_credential(conn, credential.sid)


def _apply(credential: Credential, fields: CredentialFields) -> Credential:
    changed = credential
    if fields.type:
        changed = replace(changed, type=_type(fields.type))
    if fields.friendly_name is not None:
        if len(fields.friendly_name) > MAX_FRIENDLY_NAME:
            raise InvalidParameter(f"FriendlyName is longer than {MAX_FRIENDLY_NAME} characters.")
        changed = replace(changed, friendly_name=fields.friendly_name or None)
    if fields.sandbox is not None:
        changed = replace(changed, sandbox=fields.sandbox)
    return replace(
        changed,
        certificate=_secret(fields.certificate, changed.certificate),
        private_key=_secret(fields.private_key, changed.private_key),
        api_key=_secret(fields.api_key, changed.api_key),
        secret=_secret(fields.secret, changed.secret),
    )


def _secret(given: str | None, current: str | None) -> str | None:
    if given is None:
        return current
    return given or None


def _type(raw: str) -> str:
    if raw.lower() not in TYPES:
        raise InvalidCredentialType(f"Type '{raw}' is not one of: {', '.join(TYPES)}.")
    return raw.lower()
