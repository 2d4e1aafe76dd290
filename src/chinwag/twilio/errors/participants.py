"""Participants: identity or messaging addresses, address pairs, several at once
(ConversationWithParticipants), look-ups (ParticipantConversations) and the
participant of a delivery receipt.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


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
