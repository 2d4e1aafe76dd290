"""Every Twilio error chinwag raises: one class per error code, rendered in one place.

Codes and meanings come from twilio.com/docs/api/errors/<code>; those pages do not
print an HTTP status, so validation errors are 400 and missing resources 404.

A class with a `title` (its error page's title, without the "Programmable Chat:" or
"Conversations:" product label) starts every message with it, word for word, and
adds the raise's detail after it: apps match on Twilio's wording (`indexOf('Participant
already exists')`), and the detail still names the parameter and quotes the value.
"""

from typing import Any, ClassVar

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    code: ClassVar[int] = 20001
    status: ClassVar[int] = 400
    title: ClassVar[str | None] = None

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        self.message = _message(self.title, detail)
        super().__init__(self.message)

    def in_participant(self, number: int) -> "TwilioError":
        """The same error, said of the `number`th `Participant` of ConversationWithParticipants."""
        where = f"Participant {number}"
        return type(self)(f"{where}: {self.detail}" if self.detail else where)

    def envelope(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }


def _message(title: str | None, detail: str) -> str:
    if title is None or not detail:
        return title or detail
    # "Title: detail", or "Title. detail" where Twilio's title is itself a sentence.
    return f"{title} {detail}" if title.endswith(".") else f"{title}: {detail}"


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
    the REST answer for that case (docs/compatibility.md)."""

    code = 20403
    status = 403


class MethodNotAllowed(TwilioError):
    code = 20004
    title = "Method not allowed"
    status = 405


class ConversationUniqueNameTaken(TwilioError):
    code = 50353
    title = "Conversation with provided unique name already exists"
    status = 409


class ConversationUniqueNameLooksLikeSid(TwilioError):
    code = 50390
    title = "Unique name should not match conversation sid pattern"


class AttributesNotJson(TwilioError):
    code = 50304
    title = "Attributes not valid JSON"


class InvalidConversationState(TwilioError):
    code = 50378
    title = "'State' parameter value is invalid"


class InactiveTimerTooShort(TwilioError):
    code = 50375
    title = "TimeToInactive should be greater or equal to 1 minute"


class ClosedTimerTooShort(TwilioError):
    code = 50376
    title = "TimeToClosed should be greater or equal to 10 minutes"


class InactiveTimerInvalid(TwilioError):
    code = 50379
    title = "TimeToInactive format is invalid"


class ClosedTimerInvalid(TwilioError):
    code = 50380
    title = "TimeToClosed format is invalid"


class ConversationClosed(TwilioError):
    code = 50377
    title = "Can't update conversation as it's in final closed state"


class ClosedAtCreation(TwilioError):
    code = 50384
    title = "Initial state can't be 'closed"


class InvalidMessagingServiceSid(TwilioError):
    code = 50341
    title = "Invalid messaging service SID"


class WebhookNotFound(TwilioError):
    code = 50360
    title = "Conversation webhook not found"
    status = 404


class WebhookLimitExceeded(TwilioError):
    code = 50361
    title = "Too many conversation webhooks"


class TooManyWebhookTriggers(TwilioError):
    code = 50362
    title = "Too many conversation webhook triggers"


class InvalidWebhookSid(TwilioError):
    code = 50363
    title = "Invalid conversation webhook SID"
    status = 404


class InvalidWebhookTarget(TwilioError):
    code = 50364
    title = "Invalid conversation webhook type"


class InvalidWebhookFilter(TwilioError):
    code = 50365
    title = "Invalid conversation webhook filter"


class InvalidWebhookTrigger(TwilioError):
    code = 50366
    title = "Invalid conversation webhook trigger"


class InvalidWebhookFlowSid(TwilioError):
    code = 50367
    title = "Invalid conversation webhook flow SID"


class WebhookTargetMissing(TwilioError):
    code = 50368
    title = "Conversation webhook type not provided"


class WebhookUrlMissing(TwilioError):
    code = 50369
    title = "Conversation webhook URL not provided"


class WebhookUrlTooLong(TwilioError):
    code = 50372
    title = "Conversation webhook URL is too long"


class WebhookFiltersMissing(TwilioError):
    code = 50370
    title = "Conversation webhook filter not provided"


class WebhookTriggersMissing(TwilioError):
    code = 50371
    title = "Conversation webhook trigger not provided"


class AttributesTooLong(TwilioError):
    code = 50303
    title = "Attributes too long"


class MessageBodyMissing(TwilioError):
    code = 50503
    title = "Message body not provided"


class MessageBodyTooLong(TwilioError):
    code = 50504
    title = "Message body parameter is too long"


class MediaNotFound(TwilioError):
    """A MediaSid the service's media store does not hold (errors/50507 "Media not found");
    400, as it is a bad parameter, not a missing path."""

    code = 50507


class MediaAlreadySent(TwilioError):
    """A MediaSid already attached to another message (errors/50508, "Media already sent
    with another message")."""

    code = 50508


class InvalidMediaSid(TwilioError):
    """A MediaSid that is not `ME` + 32 hex digits (errors/50510, "Invalid message media
    SID")."""

    code = 50510


class InvalidMediaContentType(TwilioError):
    """An upload without a `type/subtype` Content-Type (errors/50511, "Invalid message
    media content type")."""

    code = 50511


class MediaTooLarge(TwilioError):
    """An upload over the media size limit (errors/50512, "Message media size is too
    large")."""

    code = 50512


class TooManyMedia(TwilioError):
    """More MediaSid values than a message takes (errors/21623, "Number of media files
    exceeds allowed limit")."""

    code = 21623


class InvalidContentSid(TwilioError):
    """A ContentSid that is not `HX` + 32 hex digits (errors/50526, "Invalid content SID")."""

    code = 50526


class ContentVariablesNotJson(TwilioError):
    """ContentVariables that are not a JSON object (errors/50527, "Invalid content
    variables format")."""

    code = 50527


class ContentSidMissing(TwilioError):
    """ContentVariables without a ContentSid (errors/50528, "Content SID is missing")."""

    code = 50528


class ContentVariablesTooLong(TwilioError):
    """ContentVariables over 27,801 characters (errors/50529)."""

    code = 50529


class ContentVariableKeyTooLong(TwilioError):
    """A ContentVariables key over 16 characters (errors/50540)."""

    code = 50540


class ContentVariableValueTooLong(TwilioError):
    """A ContentVariables value over 256 characters (errors/50541)."""

    code = 50541


class ParticipantIdentityWithAddress(TwilioError):
    code = 50211
    title = "Identity parameter not acceptable for this Participant"


class InvalidMessagingBindingAddress(TwilioError):
    """`MessagingBinding.Address` is not an address of its channel (errors/50407: "SMS
    phone numbers must follow E.164 format"; "does not exceed 256 characters")."""

    code = 50407
    title = "Invalid messaging binding address"


class InvalidProxyAddress(TwilioError):
    """`MessagingBinding.ProxyAddress` is not an address of its channel (errors/50408)."""

    code = 50408
    title = "Invalid participant proxy address"


class AddressTypeMismatch(TwilioError):
    """Address and proxy address of different channels, e.g. WhatsApp and SMS (errors/50414)."""

    code = 50414
    title = "Participant address type does not match proxy address type"


class ParticipantAddressEqualsProxy(TwilioError):
    code = 50409
    title = "Participant address equals proxy address"


class ParticipantAddressEmpty(TwilioError):
    code = 50411
    title = "Participant address is empty"


class ParticipantProxyAddressEmpty(TwilioError):
    code = 50412
    title = "Participant proxy address is empty"


class ParticipantAddressInUse(TwilioError):
    code = 50416
    title = "Participant and proxy address pair is already in use"
    status = 409


class AddressPairInUse(TwilioError):
    """Another open conversation of the account holds the (address, proxy address) pair."""

    code = 50416
    title = "Participant and proxy address pair is already in use"
    status = 409


class AddressPairsInUse(TwilioError):
    """The same, met while creating a conversation with its participants."""

    code = 50425
    title = "Participant and proxy address pairs for one or more participants already in use."
    status = 409


class ParticipantExists(TwilioError):
    code = 50433
    title = "Participant already exists"
    status = 409


class ParticipantProxyAddressNotAllowed(TwilioError):
    code = 50441
    title = "Failed to add a proxy address to a participant."


class ParticipantIdentityNotAllowed(TwilioError):
    code = 50444
    title = "Failed to add an identity to a participant."


class ParticipantJsonInvalid(TwilioError):
    """A `Participant` value of ConversationWithParticipants that is not a JSON object."""

    code = 50424
    title = "One of the JSON requests for participant creation is invalid."


class TooManyParticipants(TwilioError):
    """More participants in one ConversationWithParticipants request than allowed."""

    code = 50426
    title = "Request contains too many participants."


class UserExists(TwilioError):
    """A user with this Identity is already in the service (errors/50201)."""

    code = 50201
    title = "User already exists"
    status = 409


class RoleNotFound(TwilioError):
    """A service role named by a parameter (`RoleSid` of a user, `DefaultChatServiceRoleSid`)
    that is not a service role of the service (errors/50100 "Role not found")."""

    code = 50100
    title = "Role not found"


class PermissionNotFound(TwilioError):
    """A `Permission` that is not a permission of the role's type (errors/50104)."""

    code = 50104
    title = "Permission not found"


class InvalidRoleType(TwilioError):
    """A `Type` other than `conversation` or `service` (errors/50105 "Invalid role type")."""

    code = 50105
    title = "Invalid role type"


class ConversationRoleNotFound(TwilioError):
    """A conversation role named by a parameter (`RoleSid` of a participant, the service's
    default conversation roles) that is not a conversation role of the service
    (errors/50109 "Conversation role not found")."""

    code = 50109
    title = "Conversation role not found"


class RoleInUse(TwilioError):
    """Deleting a role a participant, a user or the service configuration still names.

    Twilio documents no code for it (docs/compatibility.md): 20001, with a message
    saying what holds the role.
    """

    code = 20001


class ServiceInstanceNotFound(TwilioError):
    """A parameter names a Conversation Service the account does not have (errors/50050,
    "Service Instance not found"); 400, as it is a bad parameter, not a missing path."""

    code = 50050
    title = "Service Instance not found"


class Conflict(TwilioError):
    """The request conflicts with the current state of a resource (errors/20409), e.g. a
    second Address Configuration for the same address."""

    code = 20409
    title = "Conflict"
    status = 409


class InvalidCredentialType(TwilioError):
    """A push credential `Type` that is not apn, gcm or fcm (errors/70105, "Invalid Type
    Specified in the Request")."""

    code = 70105
    title = "Invalid Type Specified in the Request"


class LookupIdentifierConflict(TwilioError):
    """ParticipantConversations takes exactly one of Identity and Address (errors/50451:
    "Request should contain either Identity or Address parameter, not both")."""

    code = 50451
    title = (
        "One user identifier parameter for lookup at a time is allowed. "
        "Please, use either Identity or Address."
    )


class ParticipantSidMissing(TwilioError):
    """A delivery receipt was asked for without a ParticipantSid (errors/50431)."""

    code = 50431
    title = "Participant SID not provided"


class ParticipantNotFound(TwilioError):
    """The ParticipantSid of a delivery receipt is not in the conversation (errors/50432)."""

    code = 50432
    title = "Participant not found"
    status = 404


class AccessTokenRefused(TwilioError):
    """An Access Token (the client SDK's credential) that does not prove who it says.

    `code` is Twilio's (errors/20101..20107, 20157); `close_code` is what a twilsock
    connection is closed with: 401 (authentication failed), or 410 for an expired
    token, which twilsock turns into its `tokenExpired` event (twilsock 1.0.2
    `dist/twilsock.js`; docs/client-sdk.md, "Tokens").
    """

    code = 20101
    title = "Invalid Access Token"
    status = 401
    close_code: ClassVar[int] = 401


class AccessTokenHeaderInvalid(AccessTokenRefused):
    """typ JWT, alg HS256, cty twilio-fpa;v=1 (errors/20102)."""

    code = 20102
    title = "Invalid Access Token header"


class AccessTokenIssuerInvalid(AccessTokenRefused):
    """iss is not an API key of the account named by sub (errors/20103)."""

    code = 20103
    title = "Invalid Access Token issuer/subject"


class AccessTokenExpired(AccessTokenRefused):
    """exp missing, not a number, or past (errors/20104); twilsock reads 20104 as expiry."""

    code = 20104
    title = "Access Token expired or expiration date invalid"
    close_code = 410


class AccessTokenNotYetValid(AccessTokenRefused):
    """nbf is in the future (errors/20105)."""

    code = 20105
    title = "Access Token not yet valid"


class AccessTokenGrantsInvalid(AccessTokenRefused):
    """No identity, or no chat grant, or a chat grant for a service not in the account
    (errors/20106)."""

    code = 20106
    title = "Invalid Access Token grants"


class AccessTokenSignatureInvalid(AccessTokenRefused):
    """The HMAC does not match the API key's secret (errors/20107)."""

    code = 20107
    title = "Invalid Access Token signature"


class AccessTokenLifetimeTooLong(AccessTokenRefused):
    """exp more than 24 hours away: "Expiration Time Exceeds Maximum Time Allowed" (20157,
    support.twilio.com "Troubleshooting Invalid Access Tokens"; errors/20104 says 24 hours)."""

    code = 20157
    title = "Expiration Time Exceeds Maximum Time Allowed"
