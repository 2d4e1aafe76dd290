"""`chinwag pushes list`: the push notifications recorded where Twilio would have pushed
(domain/pushes.py), of every account, newest first: one line each, or JSON lines."""

import json
from typing import Annotated

import typer

from chinwag.cli.common import DatabaseOption, console, with_database
from chinwag.config import DEFAULT_DATABASE
from chinwag.domain.push_payloads import PushKind, shown_text
from chinwag.resources.pushes import push_json
from chinwag.store import pushes as push_store
from chinwag.store.pushes import PushFilter
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import PageRequest

pushes_app = typer.Typer(
    help="The push notifications recorded where Twilio would have pushed, of every account.",
    no_args_is_help=True,
)


@pushes_app.command("list")
def pushes_list(
    service: Annotated[str | None, typer.Option(help="Only this service (IS…).")] = None,
    identity: Annotated[str | None, typer.Option(help="Only to this user.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Only this conversation.")] = None,
    message_type: Annotated[PushKind | None, typer.Option(help="Only this type.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON, one object a line, as the Pushes API has it.")
    ] = False,
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """List recorded pushes, newest first: SID, time, type, binding type, identity,
    conversation and the text a device would show."""
    where = PushFilter(
        service_sid=service,
        identity=identity,
        conversation_sid=conversation,
        message_type=message_type.value if message_type else None,
    )
    page = with_database(
        database, lambda db: db.read(push_store.list_pushes, where, PageRequest(limit, 0))
    )
    for push in page.rows:
        if as_json:
            typer.echo(json.dumps(push_json(push)))
            continue
        # One line a push, unwrapped: greppable in a terminal and a pipe alike.
        line = (
            f"{push.sid} {to_json(push.date_created)} {push.message_type} {push.binding_type} "
            f"{push.identity} {push.conversation_sid} {shown_text(push.payload)!r}"
        )
        console().print(line, soft_wrap=True, markup=False, highlight=False)
