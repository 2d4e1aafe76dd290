"""A conversation created together with its first participants, all or nothing.

twilio.com/docs/conversations/api/conversation-with-participants-resource: "allows up
to 10 participants in one request". Twilio reports the conversation `initializing`
while it adds them (conversations/states-timers); here they are added in the same
transaction, so the conversation is only ever seen in its final state.
"""

from sqlalchemy import Connection

from chinwag.domain.conversations import (
    ConversationFields,
    create_conversation,
    record_activity,
)
from chinwag.domain.events import Origin
from chinwag.domain.participants import ParticipantFields, add_participant
from chinwag.store.conversations import Conversation
from chinwag.twilio.errors import (
    AddressPairInUse,
    AddressPairsInUse,
    TooManyParticipants,
    TwilioError,
)

# "The maximum number of participants that can be added in a single request is 10." (spec)
MAX_PARTICIPANTS = 10


def create_conversation_with_participants(
    conn: Connection,
    account_sid: str,
    service_sid: str,
    fields: ConversationFields,
    participants: list[ParticipantFields],
    origin: Origin,
) -> Conversation:
    """The conversation and each participant, with the same rules and events as one by one.

    Runs in the caller's write transaction: any refused participant raises, and the
    conversation, the participants before it and their queued events roll back.
    """
    if len(participants) > MAX_PARTICIPANTS:
        raise TooManyParticipants(
            f"{len(participants)} Participant values given; at most {MAX_PARTICIPANTS} "
            "can be added in one request."
        )
    conversation = create_conversation(conn, account_sid, service_sid, fields, origin)
    for number, participant in enumerate(participants, start=1):
        try:
            add_participant(conn, conversation, participant, origin)
        except AddressPairInUse as error:
            raise AddressPairsInUse(error.detail).in_participant(number) from None
        except TwilioError as error:
            # Same code and status; the message says which of the list was refused.
            raise error.in_participant(number) from None
    if participants:  # the timers count from the last one added, as one by one; saved once
        conversation = record_activity(conn, conversation, origin, wakes=False)
    return conversation
