"""Push notification settings: /v1/Services/{ChatServiceSid}/Configuration/Notifications."""

from typing import Any

from aiohttp import web

from chinwag.domain import service_notifications as domain
from chinwag.domain.service_notifications import NotificationChanges
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form
from chinwag.resources.addressing import in_service
from chinwag.resources.common import json_response
from chinwag.store.service_notifications import ServiceNotifications
from chinwag.twilio.forms import Form

# Each form parameter (spec, UpdateServiceNotificationRequest) and the field it sets.
FLAGS = {
    "LogEnabled": "log_enabled",
    "NewMessage.Enabled": "new_message_enabled",
    "NewMessage.BadgeCountEnabled": "new_message_badge_count_enabled",
    "NewMessage.WithMedia.Enabled": "new_message_with_media_enabled",
    "AddedToConversation.Enabled": "added_to_conversation_enabled",
    "RemovedFromConversation.Enabled": "removed_from_conversation_enabled",
}
TEXTS = {
    "NewMessage.Template": "new_message_template",
    "NewMessage.Sound": "new_message_sound",
    "NewMessage.WithMedia.Template": "new_message_with_media_template",
    "AddedToConversation.Template": "added_to_conversation_template",
    "AddedToConversation.Sound": "added_to_conversation_sound",
    "RemovedFromConversation.Template": "removed_from_conversation_template",
    "RemovedFromConversation.Sound": "removed_from_conversation_sound",
}


def notifications_json(settings: ServiceNotifications, root: ServiceRoot) -> dict[str, Any]:
    """Nested as the spec's examples: one object per event type."""
    return {
        "account_sid": settings.account_sid,
        "chat_service_sid": settings.service_sid,
        "log_enabled": settings.log_enabled,
        "added_to_conversation": {
            "enabled": settings.added_to_conversation_enabled,
            "template": settings.added_to_conversation_template,
            "sound": settings.added_to_conversation_sound,
        },
        "new_message": {
            "enabled": settings.new_message_enabled,
            "template": settings.new_message_template,
            "badge_count_enabled": settings.new_message_badge_count_enabled,
            "sound": settings.new_message_sound,
            "with_media": {
                "enabled": settings.new_message_with_media_enabled,
                "template": settings.new_message_with_media_template,
            },
        },
        "removed_from_conversation": {
            "enabled": settings.removed_from_conversation_enabled,
            "template": settings.removed_from_conversation_template,
            "sound": settings.removed_from_conversation_sound,
        },
        "url": f"{root.url}/Configuration/Notifications",
    }


def _changes(form: Form) -> NotificationChanges:
    given: dict[str, Any] = {field: form.boolean(name) for name, field in FLAGS.items()}
    given |= {field: form.text(name) for name, field in TEXTS.items()}
    return NotificationChanges(**given)


async def fetch(request: web.Request) -> web.Response:
    settings, root = await in_service(request, domain.current_notifications)
    return json_response(notifications_json(settings, root))


async def update(request: web.Request) -> web.Response:
    changes = _changes(await read_form(request))
    settings, root = await in_service(request, domain.update_notifications, changes, write=True)
    return json_response(notifications_json(settings, root))
