"""Access Tokens, the client SDK's credential (domain/access_tokens.py).

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from typing import ClassVar

from chinwag.twilio.errors.base import TwilioError


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
