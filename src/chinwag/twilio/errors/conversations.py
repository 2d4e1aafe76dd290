"""Conversations: unique names, state, timers, Messaging Service.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


class ConversationUniqueNameTaken(TwilioError):
    code = 50353
    title = "Conversation with provided unique name already exists"
    status = 409


class ConversationUniqueNameLooksLikeSid(TwilioError):
    code = 50390
    title = "Unique name should not match conversation sid pattern"


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
