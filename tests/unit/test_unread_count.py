"""A User Conversation's unread_messages_count: from the read horizon, capped at 1000."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chinwag.domain.user_conversations import unread_messages_count
from chinwag.store.participant_conversations import ParticipantConversation

NOW = datetime(2026, 1, 1, tzinfo=UTC)
VIEW = ParticipantConversation(
    participant_sid="MB" + "a" * 32,
    account_sid="AC" + "a" * 32,
    service_sid="IS" + "a" * 32,
    conversation_sid="CH" + "a" * 32,
    identity="alice",
    messaging_address=None,
    proxy_address=None,
    projected_address=None,
    notification_level="default",
    last_read_message_index=None,
    user_sid="US" + "a" * 32,
    unique_name=None,
    friendly_name=None,
    attributes="{}",
    state="active",
    date_inactive=None,
    date_closed=None,
    date_created=NOW,
    date_updated=NOW,
    messages_after_horizon=0,
)


@pytest.mark.parametrize(
    ("horizon", "after", "unread"),
    [
        (None, 0, None),  # no read horizon: no count (null in the spec's schema)
        (None, 7, None),
        (0, 0, 0),
        (3, 999, 999),
        (3, 1000, 1000),
        (3, 5000, 1000),  # "UnreadMessageCount returns a maximum value of 1000"
    ],
)
def test_unread_count_is_counted_from_the_horizon_and_capped(
    horizon: int | None, after: int, unread: int | None
) -> None:
    view = replace(VIEW, last_read_message_index=horizon, messages_after_horizon=after)
    assert unread_messages_count(view) == unread
