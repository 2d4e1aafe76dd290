"""Address Configurations: which of an account's addresses auto-create a conversation on an
inbound message, in which service, and which conversation-scoped webhook or Studio flow the
new conversation gets.

Rules: twilio.com/docs/conversations/api/address-configuration-resource and the spec;
codes from twilio.com/docs/api/errors/<code>; docs/compatibility.md lists each with its
source. What the auto-created webhook will be is checked as a scoped webhook is
(domain/webhooks.py): an http(s) URL and post-event filters, or a Studio Flow SID.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain.addresses import check_configured_address
from chinwag.domain.events import canonical_event
from chinwag.store import address_configurations as store
from chinwag.store import services as service_store
from chinwag.store.address_configurations import AddressConfiguration
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    Conflict,
    InvalidParameter,
    InvalidWebhookFilter,
    InvalidWebhookFlowSid,
    ServiceInstanceNotFound,
    TwilioError,
    WebhookFiltersMissing,
    WebhookUrlMissing,
    WebhookUrlTooLong,
)
from chinwag.twilio.forms import shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

# The spec's configuration_address_enum_type; the docs say "whatsapp or sms", the enum
# has more, and an example sends "whAtsAPP": compared in lower case.
ADDRESS_TYPES = ("sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat")
AUTO_CREATION_TYPES = ("webhook", "studio", "default")
METHODS = ("GET", "POST")  # the request enum is lower case, responses show upper case
MAX_FRIENDLY_NAME = 256  # "limited to 256 characters" (spec)
MAX_URL_LENGTH = 512  # as a scoped webhook's URL (errors/50372)


@dataclass(frozen=True)
class AddressFields:
    """Parameters of a create or update; None means "not given"."""

    type: str | None = None
    address: str | None = None
    friendly_name: str | None = None
    address_country: str | None = None
    enabled: bool | None = None
    auto_creation_type: str | None = None
    conversation_service_sid: str | None = None
    webhook_url: str | None = None
    webhook_method: str | None = None
    webhook_filters: list[str] | None = None
    studio_flow_sid: str | None = None
    studio_retry_count: int | None = None


def create_configuration(
    conn: Connection, account_sid: str, fields: AddressFields
) -> AddressConfiguration:
    address_type = _address_type(fields.type)
    address = fields.address
    if not address:
        raise InvalidParameter("Missing required parameter Address in the post body")
    check_configured_address(address_type, address)
    # "The unique address to be configured" (spec): one configuration per address.
    if store.get_by_address(conn, account_sid, address) is not None:
        raise Conflict(f"An Address Configuration for Address '{address}' already exists.")
    now = utc_now()
    blank = AddressConfiguration(
        sid=sids.new_sid(sids.ADDRESS_CONFIGURATION),
        account_sid=account_sid,
        type=address_type,
        address=address,
        friendly_name=None,
        address_country=_country(fields.address_country),
        auto_creation_enabled=False,
        auto_creation_type="default",
        conversation_service_sid=None,
        webhook_url=None,
        webhook_method=None,
        webhook_filters=[],
        studio_flow_sid=None,
        studio_retry_count=None,
        date_created=now,
        date_updated=now,
    )
    configuration = _apply(conn, blank, fields)
    store.insert_configuration(conn, configuration)
    return configuration


def update_configuration(
    conn: Connection, configuration: AddressConfiguration, fields: AddressFields
) -> AddressConfiguration:
    """Given parameters replace the stored ones (Type, Address and AddressCountry are fixed
    at creation: the update request has none of them); the result must still be whole."""
    changed = replace(_apply(conn, configuration, fields), date_updated=utc_now())
    store.save_configuration(conn, changed)
    return changed


def find_configuration(
    conn: Connection, account_sid: str, sid_or_address: str, missing: TwilioError
) -> AddressConfiguration:
    """By SID or address: "This value can be either the `sid` or the `address` of the
    configuration" (spec, the `Sid` path parameter)."""
    found = None
    if sids.is_sid(sid_or_address, sids.ADDRESS_CONFIGURATION):
        found = store.get_configuration(conn, account_sid, sid_or_address)
    if found is None:
        found = store.get_by_address(conn, account_sid, sid_or_address)
    if found is None:
        raise missing
    return found


def delete_configuration(conn: Connection, configuration: AddressConfiguration) -> None:
    store.delete_configuration(conn, configuration.sid)


def _apply(
    conn: Connection, configuration: AddressConfiguration, fields: AddressFields
) -> AddressConfiguration:
    changed = configuration
    if fields.friendly_name is not None:
        if len(fields.friendly_name) > MAX_FRIENDLY_NAME:
            raise InvalidParameter(f"FriendlyName is longer than {MAX_FRIENDLY_NAME} characters.")
        changed = replace(changed, friendly_name=fields.friendly_name or None)
    if fields.enabled is not None:
        changed = replace(changed, auto_creation_enabled=fields.enabled)
    if fields.auto_creation_type is not None:
        changed = replace(changed, auto_creation_type=_auto_creation_type(fields))
    if fields.conversation_service_sid is not None:
        service_sid = _service(conn, configuration.account_sid, fields.conversation_service_sid)
        changed = replace(changed, conversation_service_sid=service_sid)
    if fields.webhook_url is not None:
        changed = replace(changed, webhook_url=_url(fields.webhook_url))
    if fields.webhook_method is not None:
        changed = replace(changed, webhook_method=_method(fields.webhook_method))
    if fields.webhook_filters is not None:
        changed = replace(changed, webhook_filters=_filters(fields.webhook_filters))
    if fields.studio_flow_sid is not None:
        changed = replace(changed, studio_flow_sid=_flow_sid(fields.studio_flow_sid))
    if fields.studio_retry_count is not None:
        if fields.studio_retry_count < 0:
            raise InvalidParameter(
                f"AutoCreation.StudioRetryCount must be 0 or more, got {fields.studio_retry_count}."
            )
        changed = replace(changed, studio_retry_count=fields.studio_retry_count)
    return _complete(changed)


def _complete(configuration: AddressConfiguration) -> AddressConfiguration:
    """What the auto-creation type needs, as the scoped webhook it becomes needs it."""
    if configuration.auto_creation_type == "webhook":
        if not configuration.webhook_url:
            raise WebhookUrlMissing(
                "AutoCreation.WebhookUrl is required when AutoCreation.Type is webhook."
            )
        if not configuration.webhook_filters:
            raise WebhookFiltersMissing(
                "AutoCreation.WebhookFilters is required when AutoCreation.Type is webhook."
            )
        if configuration.webhook_method is None:
            return replace(configuration, webhook_method="POST")
    if configuration.auto_creation_type == "studio" and not configuration.studio_flow_sid:
        raise InvalidWebhookFlowSid(
            "AutoCreation.StudioFlowSid is required when AutoCreation.Type is studio."
        )
    return configuration


def _address_type(raw: str | None) -> str:
    if not raw:
        raise InvalidParameter("Missing required parameter Type in the post body")
    if raw.lower() not in ADDRESS_TYPES:
        raise InvalidParameter(f"Type '{raw}' is not one of: {', '.join(ADDRESS_TYPES)}.")
    return raw.lower()


def check_address_type(raw: str) -> str:
    """A list's `Type` filter: one of the address types, in any case."""
    return _address_type(raw)


def _country(raw: str | None) -> str | None:
    """ "An ISO 3166-1 alpha-2n country code" (spec): two letters, kept in upper case."""
    if not raw:
        return None
    if len(raw) != 2 or not raw.isascii() or not raw.isalpha():
        raise InvalidParameter(f"AddressCountry '{raw}' is not an ISO 3166-1 alpha-2 code.")
    return raw.upper()


def _auto_creation_type(fields: AddressFields) -> str:
    raw = fields.auto_creation_type or ""
    if raw.lower() not in AUTO_CREATION_TYPES:
        raise InvalidParameter(
            f"AutoCreation.Type '{raw}' is not one of: {', '.join(AUTO_CREATION_TYPES)}."
        )
    return raw.lower()


def _service(conn: Connection, account_sid: str, sid: str) -> str | None:
    """ "If not set, the conversation is created in the default service" (spec): an empty
    value unsets it."""
    if sid == "":
        return None
    if not sids.is_sid(sid, sids.SERVICE):
        raise InvalidParameter(
            f"AutoCreation.ConversationServiceSid '{sid}' is not a Conversation Service SID "
            "(IS + 32 hex digits)."
        )
    if service_store.get_service(conn, account_sid, sid) is None:
        raise ServiceInstanceNotFound(
            f"AutoCreation.ConversationServiceSid '{sid}' is not a Conversation Service "
            "of this account."
        )
    return sid


def _url(url: str) -> str | None:
    if url == "":
        return None
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlTooLong(
            f"AutoCreation.WebhookUrl is longer than {MAX_URL_LENGTH} characters."
        )
    if not is_http_url(url):
        raise WebhookUrlMissing(f"AutoCreation.WebhookUrl '{shown(url)}' {NOT_A_URL}")
    return url


def _method(raw: str) -> str:
    if raw.upper() not in METHODS:
        raise InvalidParameter(f"AutoCreation.WebhookMethod '{raw}' is not one of: get, post.")
    return raw.upper()


def _filters(filters: list[str]) -> list[str]:
    for name in filters:
        if canonical_event(name) is None:
            raise InvalidWebhookFilter(
                f"AutoCreation.WebhookFilters '{name}' is not a post-event a "
                "conversation-scoped webhook can subscribe to."
            )
    return filters


def _flow_sid(flow_sid: str) -> str:
    if not sids.is_sid(flow_sid, sids.FLOW):
        raise InvalidWebhookFlowSid(
            f"AutoCreation.StudioFlowSid '{flow_sid}' is not a Studio Flow SID "
            "(FW + 32 hex digits)."
        )
    return flow_sid
