"""What a push notification says and carries: its text from the service's template, and
the FCM or APNs payload Twilio sends with it. Pure.

Sources (docs/client-sdk.md, "Push", lists each rule with its source):
- twilio.com/docs/conversations/push-notification-configuration: the three types (a new
  message, with its media variant; added to; removed from a conversation), each enabled
  per service (off by default), its template overriding a default one, `${...}` variables;
  a sound only where one is configured (twilio.com/docs/conversations/ios/push-notifications-ios).
- what the SDKs read from a payload: @twilio/conversations 3.0.1
  `Client.parsePushNotification` (dist/client.js): APNs `aps.alert`, `aps.sound`,
  `aps.badge` with `twi_message_type` beside `aps`; FCM `data.twi_message_type`,
  `data.twi_body`, `data.twi_sound`; in both `conversation_sid`, `conversation_title`,
  `message_sid`, `message_index`, `media_count` and `media` (JSON text). The Android SDK's
  `NotificationPayload` adds `author` and `twi_message_id`, and reads `media` as the
  first medium: `sid`, `filename`, `content_type`, `size`.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chinwag.store.service_notifications import ServiceNotifications


class PushKind(StrEnum):
    """A push type: the name a binding subscribes to (`message_types`)."""

    NEW_MESSAGE = "new_message"
    ADDED_TO_CONVERSATION = "added_to_conversation"
    REMOVED_FROM_CONVERSATION = "removed_from_conversation"

    @property
    def message_type(self) -> str:
        """The payload's `twi_message_type`, as the SDKs' NotificationTypes name it."""
        return f"twilio.conversations.{self.value}"


# The templates used where the service sets none (push-notification-configuration's
# defaults); the media one is chinwag's (the document gives none it can be checked on).
DEFAULT_TEMPLATES = {
    PushKind.NEW_MESSAGE: "${CONVERSATION};${PARTICIPANT}: ${MESSAGE}",
    PushKind.ADDED_TO_CONVERSATION: "You have been added to the conversation ${CONVERSATION} "
    "by ${PARTICIPANT}",
    PushKind.REMOVED_FROM_CONVERSATION: "${PARTICIPANT} has removed you from the conversation "
    "${CONVERSATION}",
}
DEFAULT_MEDIA_TEMPLATE = "${CONVERSATION};${PARTICIPANT}: ${MEDIA_COUNT} file(s)"
_VARIABLE = re.compile(r"\$\{([A-Z_]+)\}")


@dataclass(frozen=True)
class PushEvent:
    """A change Twilio pushes, with what its templates and payloads name.

    `actor_*` is who made it: a new message's author; for an addition or a removal the
    client SDK user who made it (nobody, through REST).
    """

    kind: PushKind
    conversation_sid: str
    conversation_name: str  # `${CONVERSATION}`: friendly name, else unique name, else SID
    conversation_title: str | None  # the payload's `conversation_title`: the friendly name
    actor_name: str = ""  # `${PARTICIPANT}`: the user's friendly name, else the identity
    actor_identity: str = ""
    actor_participant_sid: str = ""
    message_sid: str | None = None
    message_index: int | None = None
    body: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)  # sid, filename, content_type, size


@dataclass(frozen=True)
class PushTemplate:
    """How the service says one event: its text, sound and whether it counts a badge."""

    text: str
    sound: str | None
    badge: bool


def template_for(settings: ServiceNotifications, event: PushEvent) -> PushTemplate | None:
    """The service's template for the event; None when it pushes no such event.

    A message with media uses the media template when `NewMessage.WithMedia` is enabled,
    else the new-message one (if that is enabled)."""
    if event.kind is PushKind.NEW_MESSAGE:
        sound, badge = settings.new_message_sound, settings.new_message_badge_count_enabled
        if event.media and settings.new_message_with_media_enabled:
            text = settings.new_message_with_media_template or DEFAULT_MEDIA_TEMPLATE
            return PushTemplate(text, sound, badge)
        if not settings.new_message_enabled:
            return None
        text = settings.new_message_template or DEFAULT_TEMPLATES[event.kind]
        return PushTemplate(text, sound, badge)
    if event.kind is PushKind.ADDED_TO_CONVERSATION:
        enabled = settings.added_to_conversation_enabled
        given, sound = settings.added_to_conversation_template, settings.added_to_conversation_sound
    else:
        enabled = settings.removed_from_conversation_enabled
        given = settings.removed_from_conversation_template
        sound = settings.removed_from_conversation_sound
    if not enabled:
        return None
    return PushTemplate(given or DEFAULT_TEMPLATES[event.kind], sound, badge=False)


def push_text(template: PushTemplate, event: PushEvent) -> str:
    """The template with each `${NAME}` it knows replaced (others stay as written), trimmed."""
    values = {
        "PARTICIPANT": event.actor_name,
        "PARTICIPANT_IDENTITY": event.actor_identity,
        "PARTICIPANT_SID": event.actor_participant_sid,
        "CONVERSATION": event.conversation_name,
        "CONVERSATION_SID": event.conversation_sid,
        "MESSAGE": event.body or "",
        "MEDIA_COUNT": str(len(event.media)),
        "MEDIA": (event.media[0]["filename"] or "") if event.media else "",
    }
    text = _VARIABLE.sub(lambda found: values.get(found.group(1), found.group(0)), template.text)
    return text.strip()  # an empty variable at an end (no `${PARTICIPANT}` via REST)


def fcm_payload(event: PushEvent, template: PushTemplate, push_sid: str) -> dict[str, Any]:
    """A Firebase data message: every value a string, as FCM's `data` requires."""
    data = {
        "twi_message_type": event.kind.message_type,
        "twi_message_id": push_sid,
        "twi_body": push_text(template, event),
        **{name: str(value) for name, value in _conversation_fields(event).items()},
    }
    if template.sound:
        data["twi_sound"] = template.sound
    return {"data": data}


def apn_payload(
    event: PushEvent, template: PushTemplate, push_sid: str, badge: int | None
) -> dict[str, Any]:
    """An APNs payload: `aps` with the alert text (and sound, badge), Twilio's keys beside it."""
    aps: dict[str, Any] = {"alert": push_text(template, event)}
    if template.sound:
        aps["sound"] = template.sound
    if badge is not None:
        aps["badge"] = badge
    return {
        "aps": aps,
        "twi_message_type": event.kind.message_type,
        "twi_message_id": push_sid,
        **_conversation_fields(event),
    }


def shown_text(payload: Mapping[str, Any]) -> str:
    """What a device shows of a recorded payload: APNs' alert, or FCM's `twi_body`."""
    alert = payload.get("aps", {}).get("alert")
    text = alert if alert is not None else payload.get("data", {}).get("twi_body")
    return text if isinstance(text, str) else ""


def _conversation_fields(event: PushEvent) -> Mapping[str, Any]:
    """What the SDKs read beside the text; unset ones are left out."""
    fields: dict[str, Any] = {"conversation_sid": event.conversation_sid}
    if event.conversation_title:
        fields["conversation_title"] = event.conversation_title
    if event.kind is not PushKind.NEW_MESSAGE:
        return fields
    fields |= {"message_sid": event.message_sid, "message_index": event.message_index}
    fields["author"] = event.actor_identity
    if event.media:
        fields["media_count"] = len(event.media)
        fields["media"] = json.dumps(event.media[0], separators=(",", ":"))
    return fields
