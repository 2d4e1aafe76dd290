"""The Webhooks configuration API's errors (shared keys, Settings, Rules): codes 59xxx,
answered as RFC 9457 problem details, not the Conversations envelope.

twilio-python reads a body with `type`, `title`, `status` and `code` as such
(`Version.exception` -> `TwilioServiceException`); `type` is the error's page, as in
its tests. Codes and titles: twilio.com/docs/api/errors/59000 ... 59201; the pages
print no HTTP status, so these are chinwag's (docs/compatibility.md, "Shared keys").
"""

from typing import Any, ClassVar

from chinwag.twilio.errors.base import TwilioError

PROBLEM_TYPE = "https://www.twilio.com/docs/api/errors/{code}"


class WebhookConfigurationError(TwilioError):
    content_type: ClassVar[str] = "application/problem+json"

    def envelope(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPE.format(code=self.code),
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }


class ValidationFailed(WebhookConfigurationError):
    code = 59000
    title = "Validation Error"


class ConfigurationNotFound(WebhookConfigurationError):
    code = 59003
    title = "Resource Not Found"
    status = 404


class ResourceInUse(WebhookConfigurationError):
    code = 59100
    title = "Resource Is Still In Use"
    status = 409


class RuleAlreadyExists(WebhookConfigurationError):
    code = 59103
    title = "Resource Already Exists"
    status = 409


class AccountLimitReached(WebhookConfigurationError):
    code = 59200
    title = "Account Limit Reached"


class ReferencedResourceNotFound(WebhookConfigurationError):
    code = 59201
    title = "Referenced Resource Not Found"
