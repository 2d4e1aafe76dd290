"""What a push says and carries (domain/push_payloads.py): the service's template for each
event, its variables, and the FCM and APNs payloads the SDKs parse."""

import json
from dataclasses import replace

import pytest

from chinwag.domain.push_payloads import (
    PushEvent,
    PushKind,
    PushTemplate,
    apn_payload,
    fcm_payload,
    push_text,
    shown_text,
    template_for,
)
from chinwag.domain.service_notifications import default_notifications

OFF = default_notifications("IS" + "0" * 32, "AC" + "0" * 32)
MEDIUM = {"sid": "ME" + "1" * 32, "filename": "cat.png", "content_type": "image/png", "size": 9}
MESSAGE = PushEvent(
    kind=PushKind.NEW_MESSAGE,
    conversation_sid="CH" + "2" * 32,
    conversation_name="Help",
    conversation_title="Help",
    actor_name="Alice L.",
    actor_identity="alice",
    actor_participant_sid="MB" + "3" * 32,
    message_sid="IM" + "4" * 32,
    message_index=7,
    body="Hi bob",
)
WITH_MEDIA = replace(MESSAGE, body=None, media=[MEDIUM])
ADDED = PushEvent(PushKind.ADDED_TO_CONVERSATION, "CH" + "2" * 32, "Help", None, "Bob", "bob")
REMOVED = replace(ADDED, kind=PushKind.REMOVED_FROM_CONVERSATION)


@pytest.mark.parametrize(
    ("settings", "event", "expected"),
    [
        ({}, MESSAGE, None),
        ({"new_message_enabled": True}, MESSAGE, "${CONVERSATION};${PARTICIPANT}: ${MESSAGE}"),
        (
            {"new_message_enabled": True, "new_message_template": "${MESSAGE}"},
            MESSAGE,
            "${MESSAGE}",
        ),
        ({"new_message_with_media_enabled": True}, MESSAGE, None),  # text: not a media message
        (
            {"new_message_with_media_enabled": True},
            WITH_MEDIA,
            "${CONVERSATION};${PARTICIPANT}: ${MEDIA_COUNT} file(s)",
        ),
        (
            {"new_message_enabled": True, "new_message_template": "${MESSAGE}"},
            WITH_MEDIA,
            "${MESSAGE}",  # media off: the new-message template
        ),
        ({"added_to_conversation_enabled": True}, REMOVED, None),
        (
            {"added_to_conversation_enabled": True},
            ADDED,
            "You have been added to the conversation ${CONVERSATION} by ${PARTICIPANT}",
        ),
        (
            {"removed_from_conversation_enabled": True},
            REMOVED,
            "${PARTICIPANT} has removed you from the conversation ${CONVERSATION}",
        ),
    ],
)
def test_the_template_is_the_services_for_an_enabled_type_else_the_default(
    settings: dict[str, object], event: PushEvent, expected: str | None
) -> None:
    found = template_for(replace(OFF, **settings), event)  # type: ignore[arg-type]
    assert (found.text if found else None) == expected


def test_sound_and_badge_come_with_their_type() -> None:
    settings = replace(
        OFF,
        new_message_enabled=True,
        new_message_sound="ding",
        new_message_badge_count_enabled=True,
        added_to_conversation_enabled=True,
        added_to_conversation_sound="hello",
    )
    assert template_for(settings, MESSAGE) == PushTemplate(
        "${CONVERSATION};${PARTICIPANT}: ${MESSAGE}", "ding", True
    )
    added = template_for(settings, ADDED)
    assert added is not None and (added.sound, added.badge) == ("hello", False)


def test_every_variable_is_replaced_and_unknown_ones_stay() -> None:
    template = PushTemplate(
        "${PARTICIPANT}|${PARTICIPANT_IDENTITY}|${PARTICIPANT_SID}|${CONVERSATION}|"
        "${CONVERSATION_SID}|${MESSAGE}|${MEDIA_COUNT}|${MEDIA}|${USER}|$MESSAGE",
        None,
        False,
    )
    assert push_text(template, MESSAGE).split("|") == [
        "Alice L.",
        "alice",
        "MB" + "3" * 32,
        "Help",
        "CH" + "2" * 32,
        "Hi bob",
        "0",
        "",
        "${USER}",
        "$MESSAGE",
    ]
    assert push_text(template, WITH_MEDIA).split("|")[5:8] == ["", "1", "cat.png"]


def test_a_new_message_as_fcm_data_every_value_a_string() -> None:
    template = PushTemplate("${PARTICIPANT}: ${MESSAGE}", "ding", True)
    assert fcm_payload(MESSAGE, template, "RU1") == {
        "data": {
            "twi_message_type": "twilio.conversations.new_message",
            "twi_message_id": "RU1",
            "twi_body": "Alice L.: Hi bob",
            "twi_sound": "ding",
            "conversation_sid": "CH" + "2" * 32,
            "conversation_title": "Help",
            "message_sid": "IM" + "4" * 32,
            "message_index": "7",
            "author": "alice",
        }
    }


def test_a_media_message_as_apns_with_its_first_medium() -> None:
    template = PushTemplate("${MEDIA_COUNT}", None, True)
    payload = apn_payload(WITH_MEDIA, template, "RU2", badge=3)
    assert payload["aps"] == {"alert": "1", "badge": 3}  # no sound configured
    assert (payload["message_index"], payload["media_count"]) == (7, 1)
    assert json.loads(payload["media"]) == MEDIUM
    assert payload["twi_message_type"] == "twilio.conversations.new_message"


def test_an_addition_names_the_conversation_only() -> None:
    template = PushTemplate("${PARTICIPANT} added you to ${CONVERSATION}", None, False)
    payload = apn_payload(ADDED, template, "RU3", badge=None)
    assert payload == {
        "aps": {"alert": "Bob added you to Help"},
        "twi_message_type": "twilio.conversations.added_to_conversation",
        "twi_message_id": "RU3",
        "conversation_sid": "CH" + "2" * 32,  # no title: the conversation has no friendly name
    }
    assert shown_text(payload) == "Bob added you to Help"
    assert shown_text(fcm_payload(ADDED, template, "RU4")) == "Bob added you to Help"
