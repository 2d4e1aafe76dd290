"""What changed since a page was drawn: the one module the live updates ask.

Reads only, so a page left open makes its server write nothing. Two kinds of news:

- messages are only ever added at the end, so what is new is every message with an
  index past the newest one the page shows (`new_messages`);
- deliveries and their attempts change in place (pending, failed, pending again,
  delivered), so a section of them is read again and is news when it reads
  differently from what the page last got (`Sections`). One indexed page of rows,
  read at most about once a second per open page.

Correct across several servers sharing a PostgreSQL database: each looks at the
database itself, and the in-process doorbell only makes it look sooner.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from chinwag.store import deliveries as delivery_store
from chinwag.store import messages as message_store
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord
from chinwag.store.messages import Message
from chinwag.store.outbox import Attempt
from chinwag.twilio.pagination import PageRequest

RECENT_DELIVERIES = 50  # rows of a live delivery list
MAX_NEW_MESSAGES = 200  # at one look; a page far behind catches up over a few looks


def new_messages(conn: Connection, conversation_sid: str, after_index: int) -> list[Message]:
    """The conversation's messages with an index past `after_index`, oldest first."""
    found = message_store.messages_from_index(conn, conversation_sid, after_index + 1)
    return found[:MAX_NEW_MESSAGES]


def recent_deliveries(
    conn: Connection, where: DeliveryFilter, after_id: int | None = None
) -> list[DeliveryRecord]:
    """The newest deliveries matching `where` (older than `after_id` when given)."""
    request = PageRequest(RECENT_DELIVERIES, 0, after_id=after_id)
    page = delivery_store.list_deliveries(conn, where, request)
    return list(page.rows)


@dataclass(frozen=True)
class DeliveryWithAttempts:
    delivery: DeliveryRecord
    attempts: list[Attempt]


def delivery_with_attempts(
    conn: Connection, account_sid: str, token: str
) -> DeliveryWithAttempts | None:
    found = delivery_store.find_with_attempts(conn, account_sid, token)
    return None if found is None else DeliveryWithAttempts(*found)


class Sections:
    """The HTML each named section of one open page was last sent; says what is news."""

    def __init__(self) -> None:
        self._sent: dict[str, str] = {}

    def changed(self, name: str, html: str) -> bool:
        """Whether `html` differs from what section `name` last got (remembering it)."""
        if self._sent.get(name) == html:
            return False
        self._sent[name] = html
        return True
