"""ParticipantConversations: every conversation of a service a participant is in, found by
the participant's Identity or Address.

twilio.com/docs/conversations/api/participant-conversation-resource ("Users can provide
only one parameter at a time"); docs/compatibility.md lists each rule with its source.
"""

from sqlalchemy import Connection

from chinwag.store import participant_conversations as views
from chinwag.twilio.errors import LookupIdentifierConflict
from chinwag.twilio.pagination import Page, PageRequest


def list_participant_conversations(
    conn: Connection,
    service_sid: str,
    identity: str | None,
    address: str | None,
    request: PageRequest,
) -> Page:
    """The service's conversations with a participant of this identity or address, by
    conversation SID: "The returned data will be sorted by the conversationSid
    alphabetically" (participant-conversation-resource). Exactly one of the two is
    given, else 400 50451."""
    if identity is not None and address is None:
        return views.list_by_identity(conn, service_sid, identity, request, by_conversation=True)
    if address is not None and identity is None:
        return views.list_by_address(conn, service_sid, address, request)
    raise LookupIdentifierConflict()  # Twilio's title says it all
