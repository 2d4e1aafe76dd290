"""What a call addresses within an account, and running one domain call there.

A call names a service (its SID, or none for the account's default service) and,
under it, maybe a conversation (its SID or UniqueName). `ServiceRef` and
`ConversationRef` are what the call names; they are looked up inside the caller's
transaction, giving the rows and the `ServiceRoot` that a reply's URLs hang under.
A REST path's refs are read by resources/addressing.py, the SDK's by twilsock, the
dashboard's by ui.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, TypeVarTuple

from sqlalchemy import Connection

from chinwag.domain.conversations import find_conversation, find_in_default_service
from chinwag.domain.services import default_service, find_service
from chinwag.store.accounts import Account
from chinwag.store.conversations import Conversation
from chinwag.store.database import Database
from chinwag.store.services import Service
from chinwag.twilio.errors import TwilioError

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class ServiceRoot:
    """A looked-up service, and the absolute URL its resources hang under.

    `url` is `<base>/v1/Services/IS…` on the service path family and `<base>/v1` on the
    default-service family, so `url` and `links` echo the family the caller used.
    """

    service: Service
    url: str
    explicit: bool  # True on /v1/Services/{ChatServiceSid}/...


@dataclass(frozen=True)
class ServiceRef:
    """The service a call names, not yet looked up; `service_sid` None is the default one.

    `path` is what the caller asked for, named by the 20404 raised when there is none.
    """

    account: Account
    base_url: str
    service_sid: str | None
    path: str

    def resolve(self, conn: Connection) -> ServiceRoot:
        if self.service_sid is None:
            return self.root(default_service(conn, self.account.sid))
        return self.root(find_service(conn, self.account.sid, self.service_sid, self.path))

    def root(self, service: Service) -> ServiceRoot:
        """The root of `service`, found for this reference."""
        if self.service_sid is None:
            return ServiceRoot(service, f"{self.base_url}/v1", False)
        return ServiceRoot(service, f"{self.base_url}/v1/Services/{service.sid}", True)


@dataclass(frozen=True)
class ConversationRef:
    """The conversation a call names (SID or UniqueName) under a service, not yet looked up.

    `missing` is raised when there is none: Twilio's 20404 naming the requested path.
    """

    service: ServiceRef
    sid_or_unique_name: str
    missing: TwilioError

    def resolve(
        self, conn: Connection, for_update: bool = False
    ) -> tuple[Conversation, ServiceRoot]:
        """The conversation and its service's root; `for_update` locks the conversation's row."""
        if self.service.service_sid is None:  # the default service, read with the conversation
            conversation, service = find_in_default_service(
                conn, self.service.account.sid, self.sid_or_unique_name, self.missing, for_update
            )
            return conversation, self.service.root(service)
        root = self.service.resolve(conn)
        conversation = find_conversation(
            conn, root.service.sid, self.sid_or_unique_name, self.missing, for_update
        )
        return conversation, root


async def in_service(
    database: Database,
    addressed: ServiceRef,
    work: Callable[[Connection, Service, *Ts], T],
    *args: *Ts,
    write: bool = False,
) -> tuple[T, ServiceRoot]:
    """`work(conn, service, *args)` on the service `addressed` names, in one transaction
    (a write transaction with `write`); its result, and the root for the reply's URLs."""

    def run(conn: Connection) -> tuple[T, ServiceRoot]:
        root = addressed.resolve(conn)
        return work(conn, root.service, *args), root

    if write:
        return await database.write(run)
    return await database.read(run)


async def in_conversation(
    database: Database,
    addressed: ConversationRef,
    work: Callable[[Connection, Conversation, *Ts], T],
    *args: *Ts,
    write: bool = False,
) -> tuple[T, ServiceRoot]:
    """`work(conn, conversation, *args)` on the conversation `addressed` names (else its
    `missing` error); its result, and the root for the reply's URLs.

    A write locks the conversation's row first, in a `Database.write_locking`
    transaction, so writers under one conversation take turns instead of conflicting.
    """

    def run(conn: Connection) -> tuple[T, ServiceRoot]:
        conversation, root = addressed.resolve(conn, for_update=write)
        return work(conn, conversation, *args), root

    if write:
        return await database.write_locking(run)
    return await database.read(run)
