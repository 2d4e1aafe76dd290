"""Messages: body, media and Content templates.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


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
    title = "Media not found"


class MediaAlreadySent(TwilioError):
    """A MediaSid already attached to another message (errors/50508, "Media already sent
    with another message")."""

    code = 50508
    title = "Media already sent with another message"


class InvalidMediaSid(TwilioError):
    """A MediaSid that is not `ME` + 32 hex digits (errors/50510, "Invalid message media
    SID")."""

    code = 50510
    title = "Invalid message media SID"


class InvalidMediaContentType(TwilioError):
    """An upload without a `type/subtype` Content-Type (errors/50511, "Invalid message
    media content type")."""

    code = 50511
    title = "Invalid message media content type"


class MediaTooLarge(TwilioError):
    """An upload over the media size limit (errors/50512, "Message media size is too
    large")."""

    code = 50512
    title = "Message media size is too large"


class TooManyMedia(TwilioError):
    """More MediaSid values than a message takes (errors/21623, "Number of media files
    exceeds allowed limit")."""

    code = 21623
    title = "Number of media files exceeds allowed limit"


class InvalidContentSid(TwilioError):
    """A ContentSid that is not `HX` + 32 hex digits (errors/50526, "Invalid content SID")."""

    code = 50526
    title = "Invalid content SID"


class ContentVariablesNotJson(TwilioError):
    """ContentVariables that are not a JSON object (errors/50527, "Invalid content
    variables format")."""

    code = 50527
    title = "Invalid content variables format"


class ContentSidMissing(TwilioError):
    """ContentVariables without a ContentSid (errors/50528, "Content SID is missing")."""

    code = 50528
    title = "Content SID is missing"


class ContentVariablesTooLong(TwilioError):
    """ContentVariables over 27,801 characters (errors/50529)."""

    code = 50529
    title = "Content variables are too long"


class ContentVariableKeyTooLong(TwilioError):
    """A ContentVariables key over 16 characters (errors/50540)."""

    code = 50540
    title = "Content variable key is too long"


class ContentVariableValueTooLong(TwilioError):
    """A ContentVariables value over 256 characters (errors/50541)."""

    code = 50541
    title = "Content variable value is too long"
