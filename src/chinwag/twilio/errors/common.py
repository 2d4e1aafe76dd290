"""Codes every resource shares: bad parameters, paging, authentication, missing or
conflicting resources, attributes, a named service.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


class InvalidParameter(TwilioError):
    """A malformed value with no product-specific code.

    Twilio's page for 20001 is titled "Unknown parameters"; chinwag uses it, with a
    message naming the parameter, wherever Twilio documents no closer code.
    """

    code = 20001


class TooManyParameters(InvalidParameter):
    """More form or query parameters than one request may carry (forms.MAX_PARAMETERS).

    Twilio documents no code for it; 20001 with a message that says so.
    """


class InvalidPageToken(TwilioError):
    code = 21481
    title = "Invalid PageToken"


class Unauthenticated(TwilioError):
    code = 20003
    status = 401

    def __init__(self, message: str = "Authentication Error - No credentials provided") -> None:
        super().__init__(message)


class TooManyRequests(TwilioError):
    """429 20429 (errors/20429, "Too Many Requests"): here, too many failed
    authentications from one client (domain/auth_failures.py); the front door adds
    `Retry-After` with `retry_after` seconds."""

    code = 20429
    status = 429
    title = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many failed authentications from this client; retry after {retry_after} seconds."
        )


class ResourceNotFound(TwilioError):
    code = 20404
    status = 404

    @classmethod
    def for_path(cls, path: str) -> "ResourceNotFound":
        # Twilio's v1 product APIs quote the path without the version prefix.
        shown = path.removeprefix("/v1")
        return cls(f"The requested resource {shown} was not found")


class InternalError(TwilioError):
    """Never raised on purpose: what a bug looks like on the wire."""

    code = 20500
    status = 500


class Forbidden(TwilioError):
    """20403. Used when a pre-event webhook rejects a change: Twilio does not document
    the REST answer for that case (docs/compatibility.md); and for a temporary media URL
    expired or not signed as it must be (operations/media_urls.py)."""

    code = 20403
    status = 403


class MethodNotAllowed(TwilioError):
    code = 20004
    title = "Method not allowed"
    status = 405


class Conflict(TwilioError):
    """The request conflicts with the current state of a resource (errors/20409), e.g. a
    second Address Configuration for the same address."""

    code = 20409
    title = "Conflict"
    status = 409


class ServiceInstanceNotFound(TwilioError):
    """A parameter names a Conversation Service the account does not have (errors/50050,
    "Service Instance not found"); 400, as it is a bad parameter, not a missing path."""

    code = 50050
    title = "Service Instance not found"


class AttributesNotJson(TwilioError):
    code = 50304
    title = "Attributes not valid JSON"


class AttributesTooLong(TwilioError):
    code = 50303
    title = "Attributes too long"
