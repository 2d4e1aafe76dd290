"""Conversation-scoped webhooks: target, URL, filters, triggers, Studio flow, limits.

One class per Twilio error code, each raised where its rule lives
(chinwag/twilio/errors/base.py says how a message is made)."""

from chinwag.twilio.errors.base import TwilioError


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
