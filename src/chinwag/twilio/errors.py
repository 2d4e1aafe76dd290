"""Every Twilio error chinwag raises: one class per error code, rendered in one place.

Codes and meanings come from twilio.com/docs/api/errors/<code>; those pages do not
print an HTTP status, so validation errors are 400 and missing resources 404.
"""

from typing import Any, ClassVar

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    code: ClassVar[int] = 20001
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def envelope(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }


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
    status = 405


class ConversationUniqueNameTaken(TwilioError):
    code = 50353
    status = 409


class ConversationUniqueNameLooksLikeSid(TwilioError):
    code = 50390


class AttributesNotJson(TwilioError):
    code = 50304


class InvalidConversationState(TwilioError):
    code = 50378


class InactiveTimerTooShort(TwilioError):
    code = 50375


class ClosedTimerTooShort(TwilioError):
    code = 50376


class InactiveTimerInvalid(TwilioError):
    code = 50379


class ClosedTimerInvalid(TwilioError):
    code = 50380


class ConversationClosed(TwilioError):
    code = 50377


class ClosedAtCreation(TwilioError):
    code = 50384


class InvalidMessagingServiceSid(TwilioError):
    code = 50341


class WebhookNotFound(TwilioError):
    code = 50360
    status = 404


class WebhookLimitExceeded(TwilioError):
    code = 50361


class TooManyWebhookTriggers(TwilioError):
    code = 50362


class InvalidWebhookSid(TwilioError):
    code = 50363
    status = 404


class InvalidWebhookTarget(TwilioError):
    code = 50364


class InvalidWebhookFilter(TwilioError):
    code = 50365


class InvalidWebhookTrigger(TwilioError):
    code = 50366


class InvalidWebhookFlowSid(TwilioError):
    code = 50367


class WebhookTargetMissing(TwilioError):
    code = 50368


class WebhookUrlMissing(TwilioError):
    code = 50369


class WebhookUrlTooLong(TwilioError):
    code = 50372


class WebhookFiltersMissing(TwilioError):
    code = 50370


class WebhookTriggersMissing(TwilioError):
    code = 50371


class AttributesTooLong(TwilioError):
    code = 50303


class MessageBodyMissing(TwilioError):
    code = 50503


class MessageBodyTooLong(TwilioError):
    code = 50504


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


class ParticipantAddressEqualsProxy(TwilioError):
    code = 50409


class ParticipantAddressEmpty(TwilioError):
    code = 50411


class ParticipantProxyAddressEmpty(TwilioError):
    code = 50412


class ParticipantAddressInUse(TwilioError):
    code = 50416
    status = 409


class AddressPairInUse(TwilioError):
    """Another open conversation of the account holds the (address, proxy address) pair."""

    code = 50416
    status = 409


class AddressPairsInUse(TwilioError):
    """The same, met while creating a conversation with its participants."""

    code = 50425
    status = 409


class ParticipantExists(TwilioError):
    code = 50433
    status = 409


class ParticipantProxyAddressNotAllowed(TwilioError):
    code = 50441


class ParticipantIdentityNotAllowed(TwilioError):
    code = 50444


class ParticipantJsonInvalid(TwilioError):
    """A `Participant` value of ConversationWithParticipants that is not a JSON object."""

    code = 50424


class TooManyParticipants(TwilioError):
    """More participants in one ConversationWithParticipants request than allowed."""

    code = 50426


class UserExists(TwilioError):
    """A user with this Identity is already in the service (errors/50201)."""

    code = 50201
    status = 409


class RoleNotFound(TwilioError):
    """A service role named by a parameter (`RoleSid` of a user, `DefaultChatServiceRoleSid`)
    that is not a service role of the service (errors/50100 "Role not found")."""

    code = 50100


class PermissionNotFound(TwilioError):
    """A `Permission` that is not a permission of the role's type (errors/50104)."""

    code = 50104


class InvalidRoleType(TwilioError):
    """A `Type` other than `conversation` or `service` (errors/50105 "Invalid role type")."""

    code = 50105


class ConversationRoleNotFound(TwilioError):
    """A conversation role named by a parameter (`RoleSid` of a participant, the service's
    default conversation roles) that is not a conversation role of the service
    (errors/50109 "Conversation role not found")."""

    code = 50109


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


class Conflict(TwilioError):
    """The request conflicts with the current state of a resource (errors/20409), e.g. a
    second Address Configuration for the same address."""

    code = 20409
    status = 409


class InvalidCredentialType(TwilioError):
    """A push credential `Type` that is not apn, gcm or fcm (errors/70105, "Invalid Type
    Specified in the Request")."""

    code = 70105


class LookupIdentifierConflict(TwilioError):
    """ParticipantConversations takes exactly one of Identity and Address (errors/50451:
    "Request should contain either Identity or Address parameter, not both")."""

    code = 50451


class ParticipantSidMissing(TwilioError):
    """A delivery receipt was asked for without a ParticipantSid (errors/50431)."""

    code = 50431


class ParticipantNotFound(TwilioError):
    """The ParticipantSid of a delivery receipt is not in the conversation (errors/50432)."""

    code = 50432
    status = 404
