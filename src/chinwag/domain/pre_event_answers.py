"""What a pre-event webhook's JSON answer may change, and the fields with its changes.

"For messages, it is possible to modify the body, author and attributes; for
conversations, the friendly name" (twilio.com/docs/conversations/conversations-webhooks).
The changes are then validated exactly like the caller's own values, whatever the
door the change came in by. Asking is operations/prehooks.py.
"""

from dataclasses import replace

from chinwag.domain.conversations import ConversationFields
from chinwag.domain.messages import MessageFields

MESSAGE_FIELDS = frozenset({"body", "author", "attributes"})
CONVERSATION_FIELDS = frozenset({"friendly_name"})


def message_with_changes(fields: MessageFields, changes: dict[str, str]) -> MessageFields:
    """`fields` with the answer's `body`, `author` and `attributes` in place of the caller's."""
    return replace(
        fields,
        body=changes.get("body", fields.body),
        author=changes.get("author", fields.author),
        attributes=changes.get("attributes", fields.attributes),
    )


def conversation_with_changes(
    fields: ConversationFields, changes: dict[str, str]
) -> ConversationFields:
    """`fields` with the answer's `friendly_name` in place of the caller's."""
    if "friendly_name" in changes:
        return replace(fields, friendly_name=changes["friendly_name"])
    return fields
