"""Users and their push credentials.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


class UserExists(TwilioError):
    """A user with this Identity is already in the service (errors/50201)."""

    code = 50201
    title = "User already exists"
    status = 409


class InvalidCredentialType(TwilioError):
    """A push credential `Type` that is not apn, gcm or fcm (errors/70105, "Invalid Type
    Specified in the Request")."""

    code = 70105
    title = "Invalid Type Specified in the Request"
