"""`chinwag inbound` and `chinwag outbound list`: play an SMS/WhatsApp customer, and see what
customers received, reading and writing the database directly like the other operator
commands.

`inbound` routes and auto-creates exactly as `POST /chinwag/v1/Inbound` does and queues the
same webhooks, which a running server's worker delivers; it asks no pre-event webhook
(that is the API's, on the request path), and the `delivered` receipts it schedules are
made by a running server's timer loop.
"""

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import Connection

from chinwag.cli.common import DatabaseOption, console, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.domain.carrier import Carrier
from chinwag.domain.inbound import InboundFields, Received, receive
from chinwag.domain.receipts import DeliveryStatus
from chinwag.store import outbound as outbound_store
from chinwag.store.accounts import list_accounts
from chinwag.store.database import Database
from chinwag.store.outbound import OutboundFilter
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.pagination import PageRequest

inbound_app = typer.Typer()  # no name: `inbound` is a top-level command
outbound_app = typer.Typer(help="What SMS and WhatsApp customers received.", no_args_is_help=True)

AccountOption = Annotated[
    str | None,
    typer.Option("--account", help="SID of the account (AC…); optional when there is one."),
]


def _account_sid(conn: Connection, given: str | None) -> str:
    accounts = list_accounts(conn)
    if given is not None:
        if given not in {account.sid for account in accounts}:
            raise typer.BadParameter(f"No account {given} in this database.")
        return given
    if len(accounts) != 1:
        raise typer.BadParameter(f"The database has {len(accounts)} accounts: name one.")
    return accounts[0].sid


@inbound_app.command("inbound")
def inbound(
    body: Annotated[str, typer.Argument(help="The message's text.")],
    from_: Annotated[str, typer.Option("--from", help="The customer, e.g. +15551230001.")],
    to: Annotated[str, typer.Option("--to", help="The business address, e.g. +15557650000.")],
    account: AccountOption = None,
    receipt_delay: Annotated[
        float,
        typer.Option(min=0.0, help="Seconds until others' receipts are `delivered`."),
    ] = 1.0,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """A customer writes: the message is added to the conversation holding the pair, or to
    one auto-created by the address configuration of --to."""
    carrier = Carrier(receipt_delay=timedelta(seconds=receipt_delay))
    fields = InboundFields(from_, to, body)

    def work(conn: Connection) -> Received:
        return receive(conn, _account_sid(conn, account), fields, carrier)

    try:
        received = with_database(database, lambda db: db.write_locking(work))
    except TwilioError as error:
        console().print(f"[red]{error.code}: {error}[/red]")
        raise typer.Exit(1) from None
    created = "created" if received.created_conversation else "existing"
    console().print(f"conversation {received.conversation.sid} ({created})")
    console().print(f"participant  {received.participant_sid}")
    console().print(f"message      {received.message.sid}")


@outbound_app.command("list")
def outbound_list(
    to: Annotated[str | None, typer.Option("--to", help="Only to this address.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Only this conversation.")] = None,
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status.")] = None,
    account: AccountOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """List the messages customers received, newest first, with their receipts' status."""

    async def read(db: Database) -> list[outbound_store.OutboundWithStatus]:
        def work(conn: Connection) -> list[outbound_store.OutboundWithStatus]:
            where = OutboundFilter(
                _account_sid(conn, account), to, conversation, status.value if status else None
            )
            rows: list[outbound_store.OutboundWithStatus] = outbound_store.list_outbound(
                conn, where, PageRequest(limit, 0)
            ).rows
            return rows

        return await db.read(work)

    # One line per message, unwrapped: greppable in a terminal and a pipe alike.
    for row in with_database(database, read):
        sent = row.message
        status_text = row.status or "-"
        if row.error_code:
            status_text += f" ({row.error_code})"
        line = (
            f"{sent.sid} {to_json(sent.date_created)} {status_text} "
            f"{sent.from_address} -> {sent.to_address} {sent.conversation_sid} {sent.body or ''!r}"
        )
        console().print(line, soft_wrap=True, markup=False, highlight=False)
